import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LockHandle, WarpLocker } from '../../../lib/lock/locker.interface.js';
import { MemoryLocker } from '../../../lib/lock/memory.locker.js';
import { withLock } from '../../../lib/lock/with-lock.js';
import { LockLostError, LockTimeoutError, WarpError } from '../../../lib/common/warp.errors.js';

describe('withLock', () => {
  let locker: MemoryLocker;

  beforeEach(() => {
    locker = new MemoryLocker();
  });

  afterEach(async () => {
    await locker.close();
  });

  const isFree = async (name: string): Promise<boolean> => {
    try {
      await (await locker.acquire(name, { ttl: 1000, waitTimeout: 0 })).release();
      return true;
    } catch (error) {
      if (error instanceof LockTimeoutError) return false;
      throw error;
    }
  };

  it('returns what fn returned and releases the lock', async () => {
    let seen: LockHandle | undefined;
    const result = await withLock(locker, 'job', async (handle) => {
      seen = handle;
      assert.equal(await isFree('job'), false);
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(seen?.name, 'job');
    assert.equal(await isFree('job'), true);
  });

  it('rethrows the error of fn after releasing the lock', async () => {
    const failure = new Error('boom');
    await assert.rejects(
      withLock(locker, 'job', () => {
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.equal(await isFree('job'), true);
  });

  it('throws LockLostError after fn completes when the lock was lost meanwhile', async () => {
    let completed = false;
    await assert.rejects(
      withLock(locker, 'job', async () => {
        await locker.close();
        completed = true;
        return 'done';
      }),
      LockLostError,
    );
    assert.equal(completed, true);
  });

  it('keeps the error of fn when the lock was also lost', async () => {
    const failure = new Error('boom');
    await assert.rejects(
      withLock(locker, 'job', async () => {
        await locker.close();
        throw failure;
      }),
      (error) => error === failure,
    );
  });

  it('does not run fn when the lock is busy and waitTimeout is 0', async () => {
    const holder = await locker.acquire('job', { ttl: 10_000, waitTimeout: 0 });
    let ran = false;
    await assert.rejects(
      withLock(locker, 'job', () => (ran = true), { waitTimeout: 0 }),
      LockTimeoutError,
    );
    assert.equal(ran, false);
    await holder.release();
  });

  it('passes resolved default options to the locker', async () => {
    const seen: unknown[] = [];
    const spy: WarpLocker = {
      acquire: (name, options) => {
        seen.push(options);
        return locker.acquire(name, options);
      },
      close: () => locker.close(),
    };
    await withLock(spy, 'job', () => undefined, { ttl: 2_000 });
    assert.deepEqual(seen, [{ ttl: 2_000, waitTimeout: 5_000 }]);
  });

  it('returns the result when only an unrelated release failure happens', async () => {
    const flaky: WarpLocker = {
      acquire: async (name, options) => {
        const handle = await locker.acquire(name, options);
        return {
          name: handle.name,
          fencingToken: handle.fencingToken,
          get lost() {
            return handle.lost;
          },
          release: async () => {
            await handle.release();
            throw new WarpError('Redis unreachable');
          },
        };
      },
      close: () => locker.close(),
    };
    assert.equal(await withLock(flaky, 'job', () => 'ok'), 'ok');
  });
});
