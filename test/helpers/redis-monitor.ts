import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** One command a Redis server executed, as `MONITOR` reports it. */
export interface MonitoredCommand {
  /** Upper-case command name (`MGET`). */
  name: string;
  args: string[];
  /** `'lua'` for commands a script ran, else the client's address. */
  source: string;
}

/**
 * Runs `action` and returns the commands the servers at `nodes` executed meanwhile that touch a key
 * starting with `prefix` (the full Redis key: include the client's `keyPrefix`). Counts what Redis
 * really received, on a Redis other suites share: one private `MONITOR` connection per node, and
 * a keyless `ECHO` marker per node afterwards, so every command of `action` has been reported
 * once the marker is (MONITOR reports in execution order).
 *
 * @example
 * const commands = await commandsDuring([SERVICES.redis], prefix, () => store.getMany(keys));
 * assert.equal(commands.filter((c) => c.name === 'MGET').length, 1);
 */
export async function commandsDuring(
  nodes: readonly RedisOptions[],
  prefix: string,
  action: () => Promise<unknown>,
): Promise<MonitoredCommand[]> {
  const marker = `commands-during:${randomUUID()}`;
  const seen: MonitoredCommand[] = [];
  const admins = nodes.map((node) => new Redis({ ...node, lazyConnect: true }));
  const monitors: Redis[] = [];
  try {
    // Each node's marker promise is wrapped: an async function returning a bare promise would
    // make this wait for the markers before the action even ran.
    const markers = await Promise.all(
      admins.map(async (admin) => {
        const monitor = await admin.monitor();
        monitors.push(monitor);
        const seenMarker = new Promise<void>((resolve) => {
          monitor.on('monitor', (_time: string, args: string[], source: string) => {
            if (args[1] === marker) return resolve();
            if (args.slice(1).some((arg) => arg.startsWith(prefix))) seen.push({ name: args[0].toUpperCase(), args: args.slice(1), source });
          });
        });
        return { seenMarker };
      }),
    );
    await action();
    await Promise.all(admins.map((admin) => admin.echo(marker)));
    await Promise.all(markers.map(({ seenMarker }) => seenMarker));
    return seen;
  } finally {
    for (const monitor of monitors) monitor.disconnect();
    await Promise.all(admins.map((admin) => (admin.status === 'ready' ? admin.quit() : admin.disconnect())));
  }
}
