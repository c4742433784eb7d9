import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WarpBus } from '../../lib/bus/bus.interface.js';
import { BusInbox, ConnectionLog } from '../../lib/testing/bus-inbox.js';

/** The `id` of each line of a `CLIENT LIST` reply whose `name` passes `match`. */
function idsOf(list: string, match: (name: string) => boolean): string[] {
  return list
    .split('\n')
    .filter((line) => match(/(?:^|\s)name=(\S*)/.exec(line)?.[1] ?? ''))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]);
}

/**
 * Ids of the Redis connections named `name` (`CLIENT SETNAME`), from `CLIENT LIST`: lets a test
 * kill exactly its own connections (`CLIENT KILL ID`) on a Redis other suites share.
 */
export async function connectionIdsNamed(admin: Redis, name: string): Promise<string[]> {
  return idsOf((await admin.client('LIST')) as string, (found) => found === name);
}

/**
 * Ids of the pub/sub connections (`CLIENT LIST TYPE pubsub`) whose name starts with `namePrefix`:
 * a test's own subscribers, where `CLIENT KILL TYPE pubsub` would also cut every other suite's.
 */
export async function pubsubConnectionIdsNamedFrom(admin: Redis, namePrefix: string): Promise<string[]> {
  return idsOf((await admin.client('LIST', 'TYPE', 'PUBSUB')) as string, (found) => found.startsWith(namePrefix));
}

/** Kills connections by id (`CLIENT KILL ID`), one at a time: never by type or address on a shared Redis. */
export async function killConnections(admin: Redis, ids: readonly string[]): Promise<void> {
  for (const id of ids) await admin.client('KILL', 'ID', id);
}

/**
 * Kills the `connections` Redis connections of `bus` (all named `name`) while it is subscribed, and
 * checks that it reports `false` then `true`, and that it receives `publisher`'s messages again.
 */
export async function checkRecoveryFromKilledConnections(options: {
  bus: WarpBus;
  publisher: WarpBus;
  admin: Redis;
  name: string;
  connections: number;
}): Promise<void> {
  const { bus, publisher, admin, name, connections } = options;
  const channel = `warp.test-${randomUUID().slice(0, 8)}.sync`;
  const inbox = new BusInbox();
  await bus.subscribe(channel, inbox.handler);
  await publisher.publish(channel, Buffer.from('before'));
  await inbox.take(1);
  const log = new ConnectionLog(bus);
  const ids = await connectionIdsNamed(admin, name);
  assert.equal(ids.length, connections, `connections named ${name}`);
  // Only this bus's connections: other suites share the Redis and theirs must survive.
  await killConnections(admin, ids);
  await log.until([false, true]);
  assert.equal(bus.connected, true);
  await publisher.publish(channel, Buffer.from('after'));
  assert.deepEqual((await inbox.take(2)).map(String), ['before', 'after']);
  log.remove();
}
