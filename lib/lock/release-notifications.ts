import type { Cluster, Redis } from 'ioredis';
import { closeConnection } from '../redis/connection-end.js';

/** A waiter sleeping between polls; a release notification for its name wakes it. */
export interface Waiter {
  /** Set when a release was announced since the waiter's last attempt. */
  notified: boolean;
  wake: (() => void) | undefined;
}

/**
 * A `RedisLocker`'s waiters and the release notifications that wake them: one subscriber
 * connection per locker (`client.duplicate()`, opened on the first contention) on the release
 * channel, and the sleeps between polls that a notification for the waiter's name cuts short.
 */
export class ReleaseNotifications {
  readonly #waiters = new Map<string, Set<Waiter>>();
  #subscriber: Redis | Cluster | undefined;
  #subscribed = false;
  #subscribing: Promise<void> | undefined;
  readonly #client: Redis | Cluster;
  readonly #channel: string;

  constructor(client: Redis | Cluster, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  /** Whether the subscription is active: a release published from now on wakes its waiters. */
  get subscribed(): boolean {
    return this.#subscribed;
  }

  /**
   * Starts the subscription to release notifications on first use. Returns `undefined` once it is
   * active, else a promise that settles (never rejects) when the current attempt ends; a failed
   * attempt is retried by the next waiter, and polling covers the meantime.
   */
  subscribe(): Promise<void> | undefined {
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

  /** Wakes every sleeping waiter (the locker is closing). */
  wakeAll(): void {
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters) waiter.wake?.();
    }
  }

  sleep(ms: number, waiter: Waiter): Promise<void> {
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

  add(name: string, waiter: Waiter): void {
    let waiters = this.#waiters.get(name);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(name, waiters);
    }
    waiters.add(waiter);
  }

  remove(name: string, waiter: Waiter): void {
    const waiters = this.#waiters.get(name);
    if (waiters === undefined) return;
    waiters.delete(waiter);
    if (waiters.size === 0) this.#waiters.delete(name);
  }

  /** Closes the subscriber connection, if one was opened. */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber !== undefined) await closeConnection(subscriber);
  }
}
