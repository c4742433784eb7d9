import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SyncBus } from '../../lib/bus/sync-bus.interface.js';
import { BusInbox, ConnectionLog } from './bus-inbox.js';

/**
 * Ids of the Redis connections named `name` (`CLIENT SETNAME`), from `CLIENT LIST`: lets a test
 * kill exactly its own connections (`CLIENT KILL ID`) on a Redis other suites share.
 */
export async function connectionIdsNamed(admin: Redis, name: string): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]);
}

/**
 * Kills the `connections` Redis connections of `bus` (all named `name`) while it is subscribed, and
 * checks that it reports `false` then `true`, and that it receives `publisher`'s messages again.
 */
export async function checkRecoveryFromKilledConnections(options: {
  bus: SyncBus;
  publisher: SyncBus;
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
  for (const id of ids) await admin.client('KILL', 'ID', id);
  await log.until([false, true]);
  assert.equal(bus.connected, true);
  await publisher.publish(channel, Buffer.from('after'));
  assert.deepEqual((await inbox.take(2)).map(String), ['before', 'after']);
  log.remove();
}
