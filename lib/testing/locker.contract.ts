import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LockHandle, WarpLocker } from '../lock/locker.interface.js';
import {
  InvalidKeyError,
  LockLostError,
  LockTimeoutError,
  WarpError,
} from '../common/warp.errors.js';

/** Generous wait for acquisitions that must succeed: a failing backend fails the test, a slow one does not. */
const PATIENT = { ttl: 10_000, waitTimeout: 10_000 };

/**
 * Blocks the event loop for `ms`: the one way a live holder stops renewing (its watchdog cannot
 * run), so a backend's ttl enforcement is tested without any test hook in the lockers.
 */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy wait on purpose
  }
}

/**
 * Records the timers created until `stop()` and returns how many are still scheduled then,
 * unref()ed ones included (which `process.getActiveResourcesInfo()` does not list).
 */
function trackTimers(): { stop(): Promise<string[]> } {
  /** Live timers → where each was created (so a leftover one names its origin). */
  const live = new Map<number, { resource: { hasRef?(): boolean }; stack: string }>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type === 'Timeout') live.set(asyncId, { resource: resource as { hasRef?(): boolean }, stack: new Error().stack ?? '' });
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    /** The timers created since and still alive, each as `ref|unref` and its creation stack. */
    async stop() {
      // Destroy hooks run asynchronously after clearTimeout.
      for (let i = 0; i < 5; i++) await nextTurn();
      hook.disable();
      return [...live.values()].map(({ resource, stack }) => `${resource.hasRef?.() === false ? 'unref' : 'ref'} timer created at${stack.split('\n').slice(2, 8).join('\n')}`);
    },
  };
}

/** Resolves `true` if `promise` settles within a few turns of the event loop, else `false`. */
export async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await nextTurn();
  return settled;
}

/**
 * The behaviour every `WarpLocker` backend keeps (`MemoryLocker`, `RedisLocker`, user backends).
 *
 * `makeLocker` must return a fresh, open locker each time. Each test uses its own random lock
 * names and closes what it creates. Contention between lockers (processes) is a property of
 * distributed backends only and is tested in their own suites.
 *
 * No backend needs a test hook: a holder that stops renewing is simulated by blocking the event
 * loop past the ttl, the one way a live process loses a lock.
 *
 * @example
 * lockerContract('MemoryLocker', () => new MemoryLocker());
 */
export function lockerContract(
  name: string,
  makeLocker: () => Promise<WarpLocker> | WarpLocker,
  opts: { skip?: string | false } = {},
): void {
  describe(`${name} (WarpLocker contract)`, { skip: opts.skip ?? false }, () => {
    let locker: WarpLocker;
    const lockName = (): string => `contract:${randomUUID()}`;

    beforeEach(async () => {
      locker = await makeLocker();
    });

    afterEach(async () => {
      await locker.close();
    });

    it('lets one holder at a time into the critical section', async () => {
      const name = lockName();
      let inside = 0;
      let maxInside = 0;
      let counter = 0;
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const handle = await locker.acquire(name, PATIENT);
          inside++;
          maxInside = Math.max(maxInside, inside);
          const read = counter;
          await nextTurn();
          counter = read + 1;
          inside--;
          await handle.release();
        }),
      );
      assert.equal(maxInside, 1);
      assert.equal(counter, 20);
    });

    it('issues strictly increasing fencing tokens to successive holders of a name', async () => {
      const name = lockName();
      const tokens: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const handle = await locker.acquire(name, PATIENT);
          tokens.push(handle.fencingToken);
          await nextTurn();
          await handle.release();
        }),
      );
      for (let i = 1; i < tokens.length; i++) {
        assert.ok(tokens[i]! > tokens[i - 1]!, `token ${tokens[i]} follows ${tokens[i - 1]}`);
      }
      assert.ok(tokens.every((t) => Number.isSafeInteger(t) && t > 0));
    });

    it('rejects at once with LockTimeoutError naming the lock when it is held and waitTimeout is 0', async () => {
      const name = lockName();
      const handle = await locker.acquire(name, PATIENT);
      await assert.rejects(locker.acquire(name, { ttl: 10_000, waitTimeout: 0 }), (error: unknown) => {
        assert.ok(error instanceof LockTimeoutError);
        assert.equal(error.key, name);
        assert.match(error.message, new RegExp(name));
        return true;
      });
      await handle.release();
    });

    it('acquires a free lock with waitTimeout 0', async () => {
      const handle = await locker.acquire(lockName(), { ttl: 10_000, waitTimeout: 0 });
      assert.equal(handle.lost, false);
      await handle.release();
    });

    it('rejects with LockTimeoutError when the lock stays held past waitTimeout', async () => {
      const name = lockName();
      const handle = await locker.acquire(name, PATIENT);
      await assert.rejects(locker.acquire(name, { ttl: 10_000, waitTimeout: 50 }), LockTimeoutError);
      await handle.release();
    });

    it('keeps different names independent', async () => {
      const first = await locker.acquire(lockName(), PATIENT);
      const second = await locker.acquire(lockName(), { ttl: 10_000, waitTimeout: 0 });
      await Promise.all([first.release(), second.release()]);
    });

    it('hands the lock to a waiter once the holder releases it', async () => {
      const name = lockName();
      const holder = await locker.acquire(name, PATIENT);
      const waiting = locker.acquire(name, PATIENT);
      assert.equal(await settlesSoon(waiting), false, 'the waiter must not get a held lock');
      await holder.release();
      const next = await waiting;
      assert.equal(next.name, name);
      assert.ok(next.fencingToken > holder.fencingToken);
      await next.release();
    });

    it('keeps renewing a held lock past its ttl while the holder is alive', async () => {
      const name = lockName();
      // 1.6 ttls: past the ttl, with room for a renewal ~600 ms late on a loaded machine (ttl 300 lost it at load 10).
      const handle = await locker.acquire(name, { ttl: 1000, waitTimeout: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1600));
      assert.equal(handle.lost, false);
      await assert.rejects(locker.acquire(name, { ttl: 1000, waitTimeout: 0 }), LockTimeoutError);
      await handle.release();
    });

    it('frees a lock whose holder stopped renewing past its ttl and marks that handle lost', async () => {
      const name = lockName();
      const stale = await locker.acquire(name, { ttl: 100, waitTimeout: 0 });
      blockEventLoop(300);
      assert.equal(stale.lost, true);
      const next = await locker.acquire(name, PATIENT);
      assert.ok(next.fencingToken > stale.fencingToken);
      assert.equal(next.lost, false);
      await assert.rejects(stale.release(), (error: unknown) => {
        assert.ok(error instanceof LockLostError);
        assert.equal(error.key, name);
        return true;
      });
      // The stale release must not have freed the new holder's lock.
      await assert.rejects(locker.acquire(name, { ttl: 10_000, waitTimeout: 0 }), LockTimeoutError);
      await next.release();
    });

    it('treats release as idempotent', async () => {
      const name = lockName();
      const handle = await locker.acquire(name, PATIENT);
      await Promise.all([handle.release(), handle.release()]);
      await handle.release();
      assert.equal(handle.lost, false);
      const again = await locker.acquire(name, { ttl: 10_000, waitTimeout: 0 });
      await again.release();
    });

    it('does not let an old handle release a lock taken again since', async () => {
      const name = lockName();
      const first = await locker.acquire(name, PATIENT);
      await first.release();
      const second = await locker.acquire(name, PATIENT);
      await first.release();
      await assert.rejects(locker.acquire(name, { ttl: 10_000, waitTimeout: 0 }), LockTimeoutError);
      await second.release();
    });

    it('rejects lock names that are not non-empty strings with InvalidKeyError', async () => {
      await assert.rejects(locker.acquire('', PATIENT), InvalidKeyError);
      await assert.rejects(locker.acquire(undefined as unknown as string, PATIENT), InvalidKeyError);
      await assert.rejects(locker.acquire(42 as unknown as string, PATIENT), InvalidKeyError);
    });

    it('on close, rejects waiters with a WarpError and marks held handles lost', async () => {
      const name = lockName();
      const holder = await locker.acquire(name, PATIENT);
      const waiting = locker.acquire(name, PATIENT);
      assert.equal(await settlesSoon(waiting), false);
      await locker.close();
      await assert.rejects(waiting, WarpError);
      assert.equal(holder.lost, true);
      await assert.rejects(holder.release(), LockLostError);
      await assert.rejects(locker.acquire(lockName(), PATIENT), WarpError);
      await locker.close();
    });

    it('leaves no timers behind after close', async () => {
      const timers = trackTimers();
      const own = await makeLocker();
      const name = lockName();
      const held: LockHandle = await own.acquire(name, { ttl: 300, waitTimeout: 0 });
      const waiting = own.acquire(name, PATIENT);
      await own.acquire(lockName(), PATIENT);
      assert.equal(await settlesSoon(waiting), false);
      await own.close();
      await assert.rejects(waiting, WarpError);
      assert.equal(held.lost, true);
      const left = await timers.stop();
      assert.equal(left.length, 0, `timers left after close:\n${left.join('\n')}`);
    });
  });
}
