import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLocker } from '../../../lib/lock/memory.locker.js';
import { InvalidOptionsError, LockTimeoutError } from '../../../lib/common/warp.errors.js';
import { lockerContract } from '../../../lib/testing/locker.contract.js';

lockerContract('MemoryLocker', () => new MemoryLocker());

describe('MemoryLocker', () => {
  it('serves waiters in the order they arrived', async () => {
    const locker = new MemoryLocker();
    const order: number[] = [];
    const holder = await locker.acquire('fifo', { ttl: 10_000, waitTimeout: 0 });
    const waiters = [1, 2, 3, 4].map(async (i) => {
      const handle = await locker.acquire('fifo', { ttl: 10_000, waitTimeout: 10_000 });
      order.push(i);
      await handle.release();
    });
    await holder.release();
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3, 4]);
    await locker.close();
  });

  it('skips a waiter that timed out and hands the lock to the next one', async () => {
    const locker = new MemoryLocker();
    const holder = await locker.acquire('skip', { ttl: 10_000, waitTimeout: 0 });
    const impatient = locker.acquire('skip', { ttl: 10_000, waitTimeout: 20 });
    const patient = locker.acquire('skip', { ttl: 10_000, waitTimeout: 10_000 });
    await assert.rejects(impatient, LockTimeoutError);
    await holder.release();
    const handle = await patient;
    assert.equal(handle.fencingToken, holder.fencingToken + 1);
    await handle.release();
    await locker.close();
  });

  it('hands a lost holder\'s lock to the oldest waiter rather than to a newcomer', async () => {
    const locker = new MemoryLocker();
    const stale = await locker.acquire('queue', { ttl: 50, waitTimeout: 0 });
    const waiting = locker.acquire('queue', { ttl: 10_000, waitTimeout: 10_000 });
    const end = Date.now() + 150;
    while (Date.now() < end) {
      // block the event loop past the ttl: the holder cannot renew
    }
    await assert.rejects(locker.acquire('queue', { ttl: 10_000, waitTimeout: 0 }), LockTimeoutError);
    const handle = await waiting;
    assert.equal(stale.lost, true);
    await handle.release();
    await locker.close();
  });

  it('validates the options of each acquisition', async () => {
    const locker = new MemoryLocker();
    await assert.rejects(locker.acquire('x', { ttl: 0, waitTimeout: 0 }), /"ttl"/);
    await assert.rejects(locker.acquire('x', { ttl: 10, waitTimeout: -1 }), InvalidOptionsError);
    await locker.close();
  });
});
