import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ioredis, type RedisClient } from '../redis/redis-keyspace.js';
import { InvalidOptionsError, LockTimeoutError, WarpError } from '../common/warp.errors.js';
import { lockerClosedError, lockTimeoutError } from './lock-handle.js';
import { RedisLockHandle, type HandleOps } from './redis-lock-handle.js';
import { ReleaseNotifications, type Waiter } from './release-notifications.js';
import { assertDuration, assertLockName, resolveLockOptions } from './lock-options.js';
import type { LockHandle, WarpLocker, AcquireOptions } from './locker.interface.js';
import { runScript } from '../redis/lua-script.js';
import { DeadlineExceeded, withTimeout } from '../common/deadline.js';
import { ACQUIRE, ACQUIRE_UNFENCED, RELEASE, RENEW } from './redis-lock.scripts.js';

/** Options of `RedisLocker`. */
export interface RedisLockerOptions {
  /**
   * Prefix of the lock keys (`<prefix>{<name>}`, fence counter `<prefix>{<name>}:fence`) and of
   * the release channel (`<prefix>released`, after the client's own `keyPrefix`, if any). Must not contain `{` or `}`: the braces around the
   * name are the Cluster hash tag that keeps a lock and its counter in one slot.
   * Default `'warp:lock:'`.
   */
  prefix?: string;
  /** Shortest delay between two polls of a waiter, in ms. Default 20. */
  retryMinMs?: number;
  /**
   * Longest delay between two polls of a waiter, in ms. Polling only backs up the release
   * notification (a lost message, a holder that died), so it can be slow. Default 1000.
   */
  retryMaxMs?: number;
  /**
   * ms one acquisition attempt may wait for Redis's answer. Past it the acquisition fails at once
   * with `LockTimeoutError` instead of retrying until `waitTimeout`: Redis is unreachable (an
   * ioredis client queues commands while it reconnects), not the lock busy. A lock the late
   * command obtains is released when its reply arrives. Default 1000.
   */
  commandTimeout?: number;
}

const DEFAULT_PREFIX = 'warp:lock:';
const DEFAULT_RETRY_MIN_MS = 20;
const DEFAULT_RETRY_MAX_MS = 1000;
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/**
 * Cluster-wide locks on Redis (standalone, Sentinel or Cluster through ioredis).
 *
 * - Acquire: one Lua script does `SET <prefix>{name} <random token> NX PX ttl` and, on success,
 *   `INCR <prefix>{name}:fence`: the fencing token, strictly increasing per name for as long as
 *   Redis keeps the counter.
 * - Hold: a watchdog extends the lease every ttl/3 with a compare-and-`PEXPIRE`; when the token
 *   is gone, or renewals fail until the lease ends, the handle is marked lost.
 * - Release: a Lua compare-and-delete, then a `PUBLISH` of the name on `<prefix>released`.
 *   Waiters listen on one subscriber connection per locker (`client.duplicate()`, opened on the
 *   first contention) and retry at once; they also poll with exponential backoff and jitter, never
 *   later than the holder's lease end, so a missed message or a dead holder never strands them.
 *
 * The client belongs to the caller and is never closed; only the subscriber connection is.
 *
 * @example
 * const locker = new RedisLocker(new Redis());
 * const handle = await locker.acquire('invoice:42', { ttl: 10_000, waitTimeout: 5_000 });
 * try { await store.write(data, handle.fencingToken); } finally { await handle.release(); }
 */
export class RedisLocker implements WarpLocker {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #commandTimeout: number;
  readonly #held = new Set<RedisLockHandle>();
  /** Acquisitions and best-effort deletes still running; `close()` waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #ops: HandleOps;
  readonly #releases: ReleaseNotifications;
  #closing: Promise<void> | undefined;

  /**
   * @param client - An ioredis (5 or 6) `Redis` or `Cluster` the caller owns; never closed by the locker.
   * @param options - See `RedisLockerOptions`.
   * @throws {InvalidOptionsError} When `prefix` is not a string free of braces, or the retry
   *   delays are not positive numbers with `retryMinMs <= retryMaxMs`.
   */
  constructor(client: RedisClient, options: RedisLockerOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new InvalidOptionsError(`Invalid RedisLocker option "prefix": expected a string without "{" or "}"`);
    }
    const retryMinMs = options.retryMinMs ?? DEFAULT_RETRY_MIN_MS;
    const retryMaxMs = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    assertDuration('retryMinMs', retryMinMs, false);
    assertDuration('retryMaxMs', retryMaxMs, false);
    this.#commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    assertDuration('commandTimeout', this.#commandTimeout, false);
    if (retryMinMs > retryMaxMs) {
      throw new InvalidOptionsError(
        `Invalid RedisLocker options: "retryMinMs" (${retryMinMs}) must not exceed "retryMaxMs" (${retryMaxMs})`,
      );
    }
    this.#client = ioredis(client);
    this.#prefix = prefix;
    // ioredis prefixes keys with the client's `keyPrefix` but not channels: add it by hand so
    // apps sharing a Redis through different key prefixes do not wake each other's waiters.
    this.#channel = `${client.options.keyPrefix ?? ''}${prefix}released`;
    this.#releases = new ReleaseNotifications(this.#client, this.#channel);
    this.#retryMinMs = retryMinMs;
    this.#retryMaxMs = retryMaxMs;
    this.#ops = {
      renew: (handle) => this.#renew(handle),
      unlock: (handle) => this.#unlock(handle),
      onLost: (handle) => {
        // The lease may still be in Redis (renewals failed but the key did not expire yet):
        // free it now rather than make the next holder wait for the expiry.
        this.#track(this.#unlock(handle).catch(() => false));
      },
    };
  }

  /** The client the locker runs its scripts on (yours: never closed here). */
  get redis(): Redis | Cluster {
    return this.#client;
  }

  /**
   * Acquires `name` cluster-wide, waiting up to `waitTimeout` ms (0 tries once). The wait bounds
   * the time between attempts; a single attempt lasts as long as its Redis command.
   *
   * @throws {InvalidKeyError} When `name` is not a non-empty string.
   * @throws {InvalidOptionsError} When `ttl` or `waitTimeout` is out of range.
   * @throws {LockTimeoutError} When the lock is still held after `waitTimeout`, with the last Redis
   *   error as `cause` if attempts failed.
   * @throws {WarpClosedError} When the locker is (or gets) closed.
   */
  acquire(name: string, options: AcquireOptions): Promise<LockHandle> {
    try {
      assertLockName(name);
      const { ttl, waitTimeout } = resolveLockOptions(options);
      if (this.#closing !== undefined) throw lockerClosedError(name);
      return this.#track(this.#acquire(name, ttl, waitTimeout, options.fenced !== false));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Rejects waiting acquisitions with `WarpClosedError`, releases every held lock in Redis (their
   * handles are marked lost: `release()` rejects with `LockLostError`), stops all timers and
   * closes the subscriber connection. Never closes the client passed in. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#releases.wakeAll();
    for (const handle of [...this.#held]) handle.markLost();
    // Acquisitions finishing now see the locker closed and free what they got.
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#releases.close();
  }

  async #acquire(name: string, ttl: number, waitTimeout: number, fenced: boolean): Promise<LockHandle> {
    const deadline = Date.now() + waitTimeout;
    const waiter: Waiter = { notified: false, wake: undefined };
    let lastError: unknown;
    let polls = 0;
    this.#releases.add(name, waiter);
    try {
      for (;;) {
        if (this.#closing !== undefined) throw lockerClosedError(name);
        waiter.notified = false;
        let holderLeaseMs = Infinity;
        try {
          const outcome = await this.#tryAcquire(name, ttl, fenced);
          if (typeof outcome !== 'number') return outcome;
          if (outcome > 0) holderLeaseMs = outcome;
        } catch (error) {
          if (this.#closing !== undefined) throw lockerClosedError(name);
          // Redis did not answer at all: waiting longer would only queue more commands.
          if (error instanceof DeadlineExceeded) {
            throw new LockTimeoutError(`Lock "${name}" was not acquired: Redis did not answer within ${this.#commandTimeout} ms`, { key: name, cause: error });
          }
          lastError = error;
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw lockTimeoutError(name, waitTimeout, lastError);
        if (waiter.notified) continue;

        // Never sleep past the holder's lease end: a holder that died is replaced right away.
        const delay = Math.min(this.#backoff(++polls), holderLeaseMs + 1, remaining);
        const subscribing = this.#releases.subscribe();
        if (subscribing === undefined) {
          await this.#releases.sleep(delay, waiter);
        } else {
          // A release published before the subscription was active went unheard: once it is
          // active, try again at once instead of sleeping through it.
          const sleeping = this.#releases.sleep(delay, waiter);
          await Promise.race([subscribing, sleeping]);
          // A failed subscription resolves too: then the backoff still applies, or a waiter
          // would spin on the acquire script.
          if (this.#releases.subscribed) waiter.wake?.();
          else await sleeping;
        }
      }
    } finally {
      this.#releases.remove(name, waiter);
    }
  }

  /** One attempt: the handle, or the holder's remaining lease in ms (0 when unknown). */
  async #tryAcquire(name: string, ttl: number, fenced: boolean): Promise<RedisLockHandle | number> {
    const key = `${this.#prefix}{${hashTagOf(name)}}`;
    const token = randomBytes(16).toString('base64url');
    const startedAt = Date.now();
    // Unfenced: no counter key, so locks on unbounded names leave nothing behind in Redis.
    const attempt = fenced
      ? runScript(this.#client, ACQUIRE, [key, `${key}:fence`], [token, Math.ceil(ttl)])
      : runScript(this.#client, ACQUIRE_UNFENCED, [key], [token, Math.ceil(ttl)]);
    const result = await withTimeout(attempt, this.#commandTimeout, (late) => {
      // Obtained after this attempt gave up: nobody holds it, free it for the next holder.
      if (late > 0) runScript(this.#client, RELEASE, [key], [token, this.#channel, name]).catch(() => undefined);
    });
    if (result <= 0) return -result;
    const handle = new RedisLockHandle(this.#ops, name, fenced ? result : 0, ttl, startedAt, key, token);
    this.#held.add(handle);
    if (this.#closing !== undefined) {
      handle.markLost();
      throw lockerClosedError(name);
    }
    return handle;
  }

  async #renew(handle: RedisLockHandle): Promise<boolean> {
    return (await runScript(this.#client, RENEW, [handle.key], [handle.token, Math.ceil(handle.ttl)])) === 1;
  }

  async #unlock(handle: RedisLockHandle): Promise<boolean> {
    this.#held.delete(handle);
    try {
      return (await runScript(this.#client, RELEASE, [handle.key], [handle.token, this.#channel, handle.name])) === 1;
    } catch (error) {
      throw new WarpError(
        `Lock "${handle.name}" could not be released (${(error as Error).message}); it expires after its ${handle.ttl} ms lease`,
        { key: handle.name, cause: error },
      );
    }
  }

  /** Full jitter between `retryMinMs` and an exponentially growing ceiling capped at `retryMaxMs`. */
  #backoff(polls: number): number {
    const ceiling = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** Math.min(polls, 30));
    return this.#retryMinMs + Math.random() * (ceiling - this.#retryMinMs);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const untrack = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(untrack, untrack);
    return promise;
  }
}

/**
 * The Cluster hash tag of a lock: its name, or a digest when the name has braces (a name starting
 * with `}` would make an empty tag, and the lock and its fencing counter would land in different
 * slots).
 */
function hashTagOf(name: string): string {
  return name.includes('{') || name.includes('}') ? createHash('sha256').update(name).digest('hex') : name;
}
