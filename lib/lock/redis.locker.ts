import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ioredis, type RedisClient } from '../redis/redis-keyspace.js';
import { InvalidOptionsError, LockTimeoutError, WarpError } from '../common/warp.errors.js';
import { lockerClosedError, lockTimeoutError, WatchedLockHandle } from './lock-handle.js';
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

/** The locker's side of a handle: what the watchdog and `release()` need from Redis. */
interface HandleOps {
  renew(handle: RedisLockHandle): Promise<boolean>;
  unlock(handle: RedisLockHandle): Promise<boolean>;
  onLost(handle: RedisLockHandle): void;
}

/** A waiter sleeping between polls; a release notification for its name wakes it. */
interface Waiter {
  /** Set when a release was announced since the waiter's last attempt. */
  notified: boolean;
  wake: (() => void) | undefined;
}

class RedisLockHandle extends WatchedLockHandle {
  #renewing = false;

  constructor(
    private readonly ops: HandleOps,
    name: string,
    fencingToken: number,
    ttl: number,
    acquiredAt: number,
    readonly key: string,
    readonly token: string,
  ) {
    super(name, fencingToken, ttl, acquiredAt);
  }

  protected renew(): void {
    // A renewal still in flight (slow or unreachable Redis) is not doubled; if none succeeds
    // before the lease ends, the next tick marks the handle lost.
    if (this.#renewing) return;
    this.#renewing = true;
    const startedAt = Date.now();
    this.ops
      .renew(this)
      .then(
        (renewed) => (renewed ? this.extend(startedAt) : this.markLost()),
        () => undefined,
      )
      .finally(() => (this.#renewing = false));
  }

  protected unlock(): Promise<boolean> {
    return this.ops.unlock(this);
  }

  protected onLost(): void {
    this.ops.onLost(this);
  }
}

/** How long `close()` waits for the subscriber's socket to close before moving on. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Closes a connection the locker opened and resolves once its sockets are gone (ioredis keeps a
 * timer until then), or after `CLOSE_TIMEOUT_MS` if it never reports the end (a connection stuck
 * reconnecting). `QUIT` when ready, so the server drops the subscription at once.
 */
function closeConnection(connection: Redis | Cluster): Promise<void> {
  if (connection.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
    timer.unref();
    const close = (): void => {
      // A Cluster reports 'end' once it has dropped its node connections, before their sockets
      // have closed: wait for each of them too.
      const connections = connection.isCluster ? [connection, ...(connection as Cluster).nodes()] : [connection];
      const ended = connections.filter((c) => c.status !== 'end').map((c) => new Promise((end) => c.once('end', end)));
      void Promise.all(ended).then(done);
      if (connection.status === 'ready') connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    };
    // A connection in its handshake has a request in flight that disconnect() does not stop: a
    // Cluster still connecting its CLUSTER SLOTS (with a timer), a standalone connection in
    // 'connect' its INFO ready check (ioredis 5 then fails it and disconnects a second time, with a
    // 2 s timer nothing clears). Let the attempt settle, then close.
    const handshaking = connection.status === (connection.isCluster ? 'connecting' : 'connect');
    if (!handshaking) return close();
    const settled = (): void => {
      connection.off('ready', settled);
      connection.off('close', settled);
      close();
    };
    connection.once('ready', settled);
    connection.once('close', settled);
  });
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
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** Acquisitions and best-effort deletes still running; `close()` waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #ops: HandleOps;
  #subscriber: Redis | Cluster | undefined;
  #subscribed = false;
  #subscribing: Promise<void> | undefined;
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
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters) waiter.wake?.();
    }
    for (const handle of [...this.#held]) handle.markLost();
    // Acquisitions finishing now see the locker closed and free what they got.
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber !== undefined) await closeConnection(subscriber);
  }

  async #acquire(name: string, ttl: number, waitTimeout: number, fenced: boolean): Promise<LockHandle> {
    const deadline = Date.now() + waitTimeout;
    const waiter: Waiter = { notified: false, wake: undefined };
    let lastError: unknown;
    let polls = 0;
    this.#addWaiter(name, waiter);
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
        const subscribing = this.#subscribe();
        if (subscribing === undefined) {
          await this.#sleep(delay, waiter);
        } else {
          // A release published before the subscription was active went unheard: once it is
          // active, try again at once instead of sleeping through it.
          const sleeping = this.#sleep(delay, waiter);
          await Promise.race([subscribing, sleeping]);
          // A failed subscription resolves too: then the backoff still applies, or a waiter
          // would spin on the acquire script.
          if (this.#subscribed) waiter.wake?.();
          else await sleeping;
        }
      }
    } finally {
      this.#removeWaiter(name, waiter);
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

  /**
   * Starts the subscription to release notifications on first use. Returns `undefined` once it is
   * active, else a promise that settles (never rejects) when the current attempt ends; a failed
   * attempt is retried by the next waiter, and polling covers the meantime.
   */
  #subscribe(): Promise<void> | undefined {
    if (this.#subscribed) return undefined;
    if (this.#subscribing !== undefined) return this.#subscribing;
    let subscriber = this.#subscriber;
    if (subscriber === undefined) {
      // Redis#duplicate and Cluster#duplicate differ only in their override arguments (unused).
      subscriber = (this.#client as Redis).duplicate() as Redis | Cluster;
      subscriber.on('message', (channel: string, name: string) => {
        if (channel === this.#channel) this.#notify(name);
      });
      // Connection trouble is not fatal: waiters keep polling, ioredis reconnects and resubscribes.
      subscriber.on('error', () => undefined);
      this.#subscriber = subscriber;
    }
    this.#subscribing = subscriber
      .subscribe(this.#channel)
      .then(
        () => {
          this.#subscribed = true;
        },
        () => undefined,
      )
      .finally(() => (this.#subscribing = undefined));
    return this.#subscribing;
  }

  #notify(name: string): void {
    const waiters = this.#waiters.get(name);
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      waiter.notified = true;
      waiter.wake?.();
    }
  }

  /** Full jitter between `retryMinMs` and an exponentially growing ceiling capped at `retryMaxMs`. */
  #backoff(polls: number): number {
    const ceiling = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** Math.min(polls, 30));
    return this.#retryMinMs + Math.random() * (ceiling - this.#retryMinMs);
  }

  #sleep(ms: number, waiter: Waiter): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (waiter.wake === done) waiter.wake = undefined;
        resolve();
      };
      // Not unref()ed: the caller awaits this acquisition (bounded by its waitTimeout).
      const timer = setTimeout(done, ms);
      waiter.wake = done;
    });
  }

  #addWaiter(name: string, waiter: Waiter): void {
    let waiters = this.#waiters.get(name);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(name, waiters);
    }
    waiters.add(waiter);
  }

  #removeWaiter(name: string, waiter: Waiter): void {
    const waiters = this.#waiters.get(name);
    if (waiters === undefined) return;
    waiters.delete(waiter);
    if (waiters.size === 0) this.#waiters.delete(name);
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
