import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RedisLockerOptions } from '../../lib/lock/redis.locker.js';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { InvalidOptionsError, LockLostError, LockTimeoutError } from '../../lib/common/warp.errors.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { deleteKeysWithPrefix } from '../helpers/redis-cleanup.js';
import { SERVICES, skipUnless, skipUnlessOnPath } from '../helpers/services.js';
import { lockerContract, settlesSoon } from '../../lib/testing/locker.contract.js';

const skip = await skipUnless('redis');
/** Every key this file creates starts with it; deleted in `after`. */
const runPrefix = `warp:test:locker:${randomUUID()}:`;
const clients: Redis[] = [];

function connect(): Redis {
  const client = new Redis(SERVICES.redis);
  clients.push(client);
  return client;
}

after(async () => {
  if (clients.length > 0) await deleteKeysWithPrefix(clients[0]!, runPrefix);
  await Promise.all(clients.map((client) => client.quit()));
});

let contractClient: Redis | undefined;
lockerContract(
  'RedisLocker',
  () => new RedisLocker((contractClient ??= connect()), { prefix: `${runPrefix}contract:` }),
  { skip },
);

/** Polls `predicate` for state with no event to await (a handle's `lost` flag, server state). */
async function until(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe('RedisLocker', { skip }, () => {
  let admin: Redis;
  let prefix: string;
  const lockers: RedisLocker[] = [];
  const locker = (options: RedisLockerOptions = {}, client: Redis = admin): RedisLocker => {
    const created = new RedisLocker(client, { prefix, ...options });
    lockers.push(created);
    return created;
  };

  /** Resolves once a locker under this test's prefix listens for release notifications. */
  const subscribed = (): Promise<void> =>
    until(async () => {
      const [, count] = (await admin.pubsub('NUMSUB', `${prefix}released`)) as [string, number];
      return Number(count) > 0;
    }, 'a waiter subscribed to release notifications');

  beforeEach(() => {
    admin ??= connect();
    prefix = `${runPrefix}${randomUUID().slice(0, 8)}:`;
  });

  afterEach(async () => {
    await Promise.all(lockers.splice(0).map((l) => l.close()));
  });

  it('stores a lock and its fencing counter under one hash tag, and keeps the counter after release', async () => {
    const handle = await locker().acquire('orders', { ttl: 5_000, waitTimeout: 0 });
    const token = await admin.get(`${prefix}{orders}`);
    assert.equal(typeof token, 'string');
    assert.ok(token!.length >= 16);
    const pttl = await admin.pttl(`${prefix}{orders}`);
    assert.ok(pttl > 0 && pttl <= 5_000, `pttl ${pttl}`);
    assert.equal(await admin.get(`${prefix}{orders}:fence`), String(handle.fencingToken));
    await handle.release();
    assert.equal(await admin.exists(`${prefix}{orders}`), 0);
    assert.equal(await admin.get(`${prefix}{orders}:fence`), String(handle.fencingToken));
  });

  it('excludes holders on separate connections doing read-modify-write on Redis', async () => {
    const lockers = [locker({}, connect()), locker({}, connect())];
    const counter = `${prefix}counter`;
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const handle = await lockers[i % 2]!.acquire('rmw', { ttl: 10_000, waitTimeout: 20_000 });
        inside++;
        maxInside = Math.max(maxInside, inside);
        const value = Number((await admin.get(counter)) ?? 0);
        await sleep(1);
        await admin.set(counter, value + 1);
        inside--;
        await handle.release();
      }),
    );
    assert.equal(maxInside, 1);
    assert.equal(await admin.get(counter), '20');
  });

  it('wakes a waiter on another connection through the release notification, not polling', async () => {
    const holder = await locker().acquire('notify', { ttl: 60_000, waitTimeout: 0 });
    // Polls and the holder's lease are both far beyond the wait: only the notification can wake it.
    const waiting = locker({ retryMinMs: 60_000, retryMaxMs: 60_000 }, connect()).acquire('notify', {
      ttl: 10_000,
      waitTimeout: 10_000,
    });
    await subscribed();
    assert.equal(await settlesSoon(waiting), false);
    await holder.release();
    const handle = await waiting;
    assert.ok(handle.fencingToken > holder.fencingToken);
    await handle.release();
  });

  it('falls back to polling when a release is not announced', async () => {
    await admin.set(`${prefix}{quiet}`, 'foreign-holder', 'PX', 60_000);
    const waiting = locker({ retryMinMs: 5, retryMaxMs: 50 }).acquire('quiet', { ttl: 10_000, waitTimeout: 10_000 });
    await subscribed();
    assert.equal(await settlesSoon(waiting), false);
    await admin.del(`${prefix}{quiet}`);
    await (await waiting).release();
  });

  it('takes over the lock of a holder that died as soon as its lease expires', async () => {
    await admin.set(`${prefix}{dead}`, 'dead-holder', 'PX', 300);
    // Neither polls nor notifications come in time: the waiter must sleep until the lease end.
    const handle = await locker({ retryMinMs: 60_000, retryMaxMs: 60_000 }).acquire('dead', {
      ttl: 10_000,
      waitTimeout: 10_000,
    });
    assert.equal(handle.lost, false);
    await handle.release();
  });

  it('marks a handle lost when another holder took its lock, and leaves that holder alone', async () => {
    const handle = await locker().acquire('stolen', { ttl: 300, waitTimeout: 0 });
    await admin.set(`${prefix}{stolen}`, 'intruder', 'PX', 60_000);
    await until(() => handle.lost, 'the watchdog notices the lost lock');
    await assert.rejects(handle.release(), (error: unknown) => error instanceof LockLostError && error.key === 'stolen');
    assert.equal(await admin.get(`${prefix}{stolen}`), 'intruder');
  });

  it('keeps the user client open and closes only its own subscriber connection', async () => {
    const client = connect();
    const own = new RedisLocker(client, { prefix });
    const holder = await own.acquire('sub', { ttl: 10_000, waitTimeout: 0 });
    const waiting = own.acquire('sub', { ttl: 10_000, waitTimeout: 10_000 });
    await subscribed();
    await own.close();
    await assert.rejects(waiting);
    await assert.rejects(holder.release(), LockLostError);
    assert.equal(client.status, 'ready');
    assert.equal(await client.ping(), 'PONG');
    assert.deepEqual(await admin.pubsub('NUMSUB', `${prefix}released`), [`${prefix}released`, 0]);
    assert.equal(await admin.exists(`${prefix}{sub}`), 0, 'close() released the held lock');
  });

  it('times out with the Redis failure as cause when commands cannot be sent', async () => {
    // A client aimed at a closed port that never retries: every command fails at once. (A lazy client
    // on the real server would connect on its first command and then succeed.)
    const offline = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    offline.on('error', () => {});
    const broken = locker({ retryMinMs: 5, retryMaxMs: 10 }, offline);
    await assert.rejects(broken.acquire('offline', { ttl: 1_000, waitTimeout: 50 }), (error: unknown) => {
      assert.ok(error instanceof LockTimeoutError);
      assert.ok(error.cause instanceof Error);
      assert.match(error.message, /last attempt failed/);
      return true;
    });
    offline.disconnect();
  });

  it('rejects a prefix with braces and inconsistent retry delays with InvalidOptionsError', () => {
    assert.throws(() => new RedisLocker(admin, { prefix: 'a{b}:' }), /"prefix"/);
    assert.throws(() => new RedisLocker(admin, { retryMinMs: 0 }), /"retryMinMs"/);
    assert.throws(() => new RedisLocker(admin, { retryMinMs: 100, retryMaxMs: 10 }), InvalidOptionsError);
  });
});

const noRedisServer = await skipUnlessOnPath(['redis-server'], 'a private redis-server');

describe('RedisLocker fencing tokens across a Redis restart that lost its data', { skip: noRedisServer }, () => {
  it('keeps increasing: a store holding an old token still accepts the next holder', async () => {
    const redis = await PrivateRedis.start(); // no persistence: a restart comes back empty
    const client = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    const locker = new RedisLocker(client, { prefix: 'restart:' });
    try {
      const tokens: number[] = [];
      for (let i = 0; i < 3; i++) {
        const handle = await locker.acquire('k', { ttl: 1_000, waitTimeout: 100 });
        tokens.push(handle.fencingToken);
        await handle.release();
      }
      await redis.kill();
      await redis.start();
      await until(() => client.status === 'ready', 'the client reconnected');
      const after = await locker.acquire('k', { ttl: 1_000, waitTimeout: 1_000 });
      assert.ok(tokens[0]! < tokens[1]! && tokens[1]! < tokens[2]!, `increasing before: ${tokens.join(', ')}`);
      assert.ok(after.fencingToken > tokens[2]!, `token after the restart ${after.fencingToken} > ${tokens[2]}`);
      assert.ok(Number.isSafeInteger(after.fencingToken));
      await after.release();
    } finally {
      await locker.close();
      client.disconnect();
      await redis.stop();
    }
  });
});

describe('a RedisLocker whose Redis is unreachable', () => {
  it('keeps its backoff while waiting instead of spinning on failed commands', async () => {
    // A real ioredis client aimed at a closed port, failing every command at once. Counting the
    // commands sent (not timer ticks, which a busy machine delays) tells backoff from a spin.
    const client = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    let commands = 0;
    const sendCommand = client.sendCommand;
    client.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
      commands++;
      return sendCommand.apply(this, args);
    } as Redis['sendCommand'];
    const locker = new RedisLocker(client);
    try {
      await assert.rejects(locker.acquire('x', { ttl: 10_000, waitTimeout: 300 }), LockTimeoutError);
    } finally {
      await locker.close();
      client.disconnect();
    }
    assert.ok(commands >= 1, 'it tried');
    assert.ok(commands <= 60, `spinning: ${commands} commands in a 300 ms wait`);
  });
});
