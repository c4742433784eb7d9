import { lockerClosedError, lockTimeoutError, WatchedLockHandle } from './lock-handle.js';
import { assertLockName, resolveLockOptions } from './lock-options.js';
import type { LockHandle, WarpLocker, AcquireOptions } from './locker.interface.js';

interface Waiter {
  readonly ttl: number;
  readonly resolve: (handle: LockHandle) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** One lock name with a holder or waiters; deleted when it has neither. */
interface Slot {
  holder: MemoryLockHandle | undefined;
  /** Insertion-ordered: the first waiter is the oldest (FIFO). */
  readonly waiters: Set<Waiter>;
}

class MemoryLockHandle extends WatchedLockHandle {
  constructor(
    name: string,
    fencingToken: number,
    ttl: number,
    private readonly free: (handle: MemoryLockHandle) => void,
  ) {
    super(name, fencingToken, ttl, Date.now());
  }

  protected renew(): void {
    this.extend(Date.now());
  }

  protected unlock(): Promise<boolean> {
    this.free(this);
    return Promise.resolve(true);
  }

  protected onLost(): void {
    this.free(this);
  }
}

/**
 * Locks for a single process (one node): the default when no Redis is configured.
 *
 * - Waiters are served first come, first served: a release hands the lock straight to the oldest
 *   waiter, with no polling and no barging.
 * - Fencing tokens come from one counter per locker, so they strictly increase per name.
 * - The `ttl` is enforced: a watchdog renews the lease every ttl/3 while held, so in practice a
 *   lock is lost only when the event loop is blocked for longer than the ttl, or on `close()`.
 *   A lost handle's lock is freed for the next waiter and its `release()` rejects with
 *   `LockLostError`.
 *
 * @example
 * const locker = new MemoryLocker();
 * const handle = await locker.acquire('report', { ttl: 10_000, waitTimeout: 5_000 });
 * try { ... } finally { await handle.release(); }
 */
export class MemoryLocker implements WarpLocker {
  readonly #slots = new Map<string, Slot>();
  #lastToken = 0;
  #closed = false;
  readonly #freeHandle = (handle: MemoryLockHandle): void => this.#free(handle);

  /**
   * Acquires `name`, waiting in line up to `waitTimeout` ms (0 tries once).
   *
   * @throws {InvalidKeyError} When `name` is not a non-empty string.
   * @throws {InvalidOptionsError} When `ttl` or `waitTimeout` is out of range.
   * @throws {LockTimeoutError} When the lock is still held after `waitTimeout`.
   * @throws {WarpClosedError} When the locker is (or gets) closed.
   */
  acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    try {
      assertLockName(name);
      const { ttl, waitTimeout } = resolveLockOptions(options);
      if (this.#closed) throw lockerClosedError(name);

      // A holder whose lease ran out while the event loop was blocked has not been freed by its
      // watchdog yet: free it now (handing the lock to the oldest waiter, if any) rather than
      // make this caller wait for the tick.
      const stale = this.#slots.get(name)?.holder;
      if (stale !== undefined && !stale.held) stale.markLost();

      // Invariant: a slot has waiters only while it has a holder (a release hands over at once).
      const slot = this.#slots.get(name);
      if (slot === undefined) {
        const fresh: Slot = { holder: undefined, waiters: new Set() };
        this.#slots.set(name, fresh);
        return Promise.resolve(this.#grant(fresh, name, ttl));
      }
      if (waitTimeout === 0) throw lockTimeoutError(name, waitTimeout);

      return new Promise<LockHandle>((resolve, reject) => {
        const waiter: Waiter = { ttl, resolve, reject };
        waiter.timer = setTimeout(() => {
          slot.waiters.delete(waiter);
          reject(lockTimeoutError(name, waitTimeout));
        }, waitTimeout);
        // Not unref()ed, unlike the background timers: the caller awaits this deadline, and a
        // process with nothing else to do must not exit with the acquisition never settled.
        slot.waiters.add(waiter);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Rejects every waiter with `WarpClosedError`, marks every held handle lost (their `release()`
   * rejects with `LockLostError`) and clears all timers. Later acquisitions reject. Idempotent.
   */
  close(): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots.entries()];
    for (const [name, slot] of slots) {
      for (const waiter of slot.waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(lockerClosedError(name));
      }
      slot.waiters.clear();
    }
    for (const [, slot] of slots) slot.holder?.markLost();
    this.#slots.clear();
    return Promise.resolve();
  }

  /** Frees the lock held by `handle` (released or lost) and hands it to the oldest waiter. */
  #free(handle: MemoryLockHandle): void {
    const slot = this.#slots.get(handle.name);
    if (slot === undefined || slot.holder !== handle) return;
    slot.holder = undefined;
    const next = slot.waiters.values().next();
    if (next.done) {
      this.#slots.delete(handle.name);
      return;
    }
    const waiter = next.value;
    slot.waiters.delete(waiter);
    clearTimeout(waiter.timer);
    waiter.resolve(this.#grant(slot, handle.name, waiter.ttl));
  }

  #grant(slot: Slot, name: string, ttl: number): MemoryLockHandle {
    const handle = new MemoryLockHandle(name, ++this.#lastToken, ttl, this.#freeHandle);
    slot.holder = handle;
    return handle;
  }
}
