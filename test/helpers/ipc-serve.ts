// The child side of `NodeProcess`: answers the parent's `call(op, ...args)` over IPC.

/** An operation the parent may call; its result travels back over IPC. */
export type Op = (...args: any[]) => unknown;

/** Serves `ops` on the IPC channel and announces readiness; a failing op answers with its error's name and message. */
export function serveOps(nodeId: string, ops: Record<string, Op>): void {
  process.on('message', async ({ id, op, args }: { id: number; op: string; args: unknown[] }) => {
    try {
      const value = await ops[op](...args);
      process.send!({ id, ok: true, value });
    } catch (error) {
      const e = error as Error;
      process.send!({ id, ok: false, error: { name: e.name, message: e.message } });
    }
  });
  // A parent that died (a crashed or interrupted test) takes its nodes along.
  process.once('disconnect', () => process.exit(0));
  process.send!({ ready: true, nodeId });
}

/** Tells the parent something happened here (`NodeProcess.next(event)` awaits it). */
export function emit(event: string, data?: unknown): void {
  process.send?.({ event, data });
}
