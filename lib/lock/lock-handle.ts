import { LockLostError, LockTimeoutError, WarpClosedError } from '../common/warp.errors.js';
import type { LockHandle } from './locker.interface.js';

/** `LockTimeoutError` for `name`, with the last backend failure (if any) as `cause`. */
export function lockTimeoutError(name: string, waitTimeout: number, cause?: unknown): LockTimeoutError {
  const reason = cause instanceof Error ? ` (last attempt failed: ${cause.message})` : '';
  return new LockTimeoutError(`Lock "${name}" was not acquired within ${waitTimeout} ms${reason}`, {
    key: name,
    cause,
  });
}

/** `LockLostError` for a handle of `name` that was used after its lease ended. */
export function lockLostError(name: string, ttl: number): LockLostError {
  return new LockLostError(
    `Lock "${name}" was lost before release: its ${ttl} ms lease ended without renewal, ` +
      'another holder took it, or the locker was closed',
    { key: name },
  );
}

/** `WarpClosedError` for an acquisition of `name` on a closed locker. */
export function lockerClosedError(name: string): WarpClosedError {
  return new WarpClosedError(`Lock "${name}" was not acquired: the locker is closed`, { key: name });
}

/**
 * A held lock with a renewal watchdog, shared by the lock backends. The watchdog ticks every
 * ttl/3; each tick either renews the lease or, if the lease already ran out (the event loop was
 * blocked, renewals kept failing), marks the handle lost. `lost` also reads the clock, so a holder
 * learns its lease ended even before the next tick runs.
 *
 * Backends implement `renew` (extend the lease, calling `extend` on success), `unlock` (free the
 * lock; resolve `false` if it was no longer ours) and `onLost` (free whatever remains).
 *
 * @internal Not exported from the package; users see `LockHandle`.
 */
export abstract class WatchedLockHandle implements LockHandle {
  #state: 'held' | 'released' | 'lost' = 'held';
  #validUntil: number;
  #releasing: Promise<void> | undefined;
  readonly #watchdog: NodeJS.Timeout;

  /**
   * @param acquiredAt - When the acquisition was sent (`Date.now()`): the lease runs from then, so
   *   the local view of it never outlives the backend's.
   */
  constructor(
    readonly name: string,
    readonly fencingToken: number,
    /** Lease length in ms. */
    readonly ttl: number,
    acquiredAt: number,
  ) {
    this.#validUntil = acquiredAt + ttl;
    this.#watchdog = setTimeout(() => this.#tick(), Math.max(1, Math.floor(ttl / 3)));
    this.#watchdog.unref();
  }

  get lost(): boolean {
    return this.#state === 'lost' || (this.#state === 'held' && Date.now() >= this.#validUntil);
  }

  /** True while the lock is held and its lease has not run out. */
  get held(): boolean {
    return this.#state === 'held' && Date.now() < this.#validUntil;
  }

  release(): Promise<void> {
    if (this.#state === 'released') return this.#releasing ?? Promise.resolve();
    if (this.lost) {
      this.markLost();
      return Promise.reject(lockLostError(this.name, this.ttl));
    }
    this.#state = 'released';
    clearTimeout(this.#watchdog);
    this.#releasing = this.unlock().then((wasOurs) => {
      if (wasOurs) return;
      this.#state = 'lost';
      throw lockLostError(this.name, this.ttl);
    });
    return this.#releasing;
  }

  /** Ends the lease as lost (idempotent): stops the watchdog and lets the backend free the lock. */
  markLost(): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    clearTimeout(this.#watchdog);
    this.onLost();
  }

  /** Extends the lease after a renewal that was sent at `startedAt` succeeded. */
  protected extend(startedAt: number): void {
    if (this.#state === 'held') this.#validUntil = Math.max(this.#validUntil, startedAt + this.ttl);
  }

  /** Renews the lease; call `extend` on success, `markLost` when the lock is gone. */
  protected abstract renew(): void;
  /** Frees the lock; resolves `false` when it was no longer held by this handle. */
  protected abstract unlock(): Promise<boolean>;
  /** Frees what remains of a lost lock (best effort, never throws). */
  protected abstract onLost(): void;

  #tick(): void {
    if (this.#state !== 'held') return;
    if (Date.now() >= this.#validUntil) {
      this.markLost();
      return;
    }
    this.renew();
    if (this.#state === 'held') this.#watchdog.refresh();
  }
}
