import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { onProcessDeath } from './process-death.js';
import { deleteKeysWithPrefix } from './redis-cleanup.js';

interface Reply {
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: { name: string; message: string };
  ready?: boolean;
  /** An event the child emitted on its own (`emit` in ipc-serve.ts), not a reply. */
  event?: string;
  data?: unknown;
}

/** An error a child node raised, rebuilt with its class name so tests can match on it. */
export class RemoteError extends Error {}

/**
 * A Warp node running in its own OS process (a fixture script), driven over IPC: `call(op, ...)`
 * runs an operation there and resolves with its result or rejects with its error.
 */
export class NodeProcess {
  private seq = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly eventListeners = new Set<(event: string, data: unknown) => void>();
  private exited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (reply: Reply) => {
      if (reply.event !== undefined) for (const listener of [...this.eventListeners]) listener(reply.event, reply.data);
      if (reply.id === undefined) return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.value);
      else {
        const error = new RemoteError(reply.error?.message);
        error.name = reply.error?.name ?? 'Error';
        waiter?.reject(error);
      }
    });
    child.once('exit', () => {
      this.exited = true;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited`));
      this.pending.clear();
    });
  }

  /**
   * Starts `script` with `env` (and Node flags `execArgv`) and waits for its ready message. A start
   * takes about 1 s; the default bound is generous because test files run in parallel on 2 cores.
   */
  static async start(name: string, script: string, env: Record<string, string>, timeoutMs = 60_000, execArgv: string[] = []): Promise<NodeProcess> {
    const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    const node = new NodeProcess(name, child);
    // Killed with the test even when frozen (SIGSTOP), which keeps it from noticing the IPC close.
    child.once('exit', onProcessDeath(() => child.kill('SIGKILL')));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs}ms`)), timeoutMs);
      child.on('message', (m: Reply) => {
        if (m.ready) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before ready`));
      });
    });
    await ready;
    return node;
  }

  /** Whether the process is still running (a stopped one counts as running). */
  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Resolves with the data of the next `event` the child emits that `accept` accepts; rejects after
   * `timeoutMs` or when the child exits. Call it before triggering what emits the event.
   */
  next<T = unknown>(event: string, timeoutMs = 10_000, accept: (data: T) => boolean = () => true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.eventListeners.delete(listener);
        this.child.off('exit', onExit);
      };
      const listener = (name: string, data: unknown): void => {
        if (name !== event || !accept(data as T)) return;
        done();
        resolve(data as T);
      };
      const onExit = (): void => {
        done();
        reject(new Error(`${this.name} exited before emitting "${event}"`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not emit "${event}" within ${timeoutMs}ms`));
      }, timeoutMs);
      if (this.exited) return onExit();
      this.eventListeners.add(listener);
      this.child.once('exit', onExit);
    });
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Asks the node to close cleanly; kills it if it does not exit in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, 'exit');
    this.call('close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exit;
    clearTimeout(timer);
  }
}

/**
 * The start of the name (`CLIENT SETNAME`) of every Redis connection the fixture nodes of
 * `namespace` open (test/e2e/fixtures/redis-node.ts): a test kills its cluster's connections by it.
 */
export function connectionNamePrefix(namespace: string): string {
  return `${namespace}-`;
}

/** The name of a fixture node's RedisBus connection (its subscriber is the one to kill). */
export function busConnectionName(namespace: string, nodeId: string): string {
  return `${connectionNamePrefix(namespace)}${nodeId}-bus`;
}

/**
 * Starts `size` Warp nodes of a fixture script (see test/e2e/fixtures/redis-node.ts) in one
 * namespace on the machine's Redis (or the one `env.REDIS_PORT` names), and waits until each one
 * sees all the others.
 */
export async function startNodeCluster(
  script: string,
  namespace: string,
  busKind: 'redis' | 'transport',
  size = 3,
  env: Record<string, string> = {},
): Promise<NodeProcess[]> {
  const nodes = await Promise.all(
    Array.from({ length: size }, (_, i) =>
      NodeProcess.start(`node-${i}`, script, { WARP_NODE_ID: `node-${i}`, WARP_NAMESPACE: namespace, WARP_BUS: busKind, ...env }),
    ),
  );
  await awaitMembership(nodes);
  return nodes;
}

/** Waits until every node counts every other one as a live peer. */
export async function awaitMembership(nodes: readonly NodeProcess[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.all(nodes.map((n) => n.call<string[]>('peers')))).every((peers) => peers.length === nodes.length - 1)) {
    if (Date.now() > deadline) throw new Error(`the ${nodes.length} nodes did not see each other within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Thaws, stops and forgets a node cluster: every node stopped, every Redis key of the namespace deleted. */
export async function stopNodeCluster(nodes: readonly NodeProcess[], namespace: string, redisPort = 6379): Promise<void> {
  for (const node of nodes) node.signal('SIGCONT');
  await Promise.all(nodes.map((n) => n.stop()));
  const admin = new Redis({ host: '127.0.0.1', port: redisPort });
  try {
    await deleteKeysWithPrefix(admin, `${namespace}:`);
  } finally {
    admin.disconnect();
  }
}
