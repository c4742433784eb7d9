import { Observable } from 'rxjs';

/** One message of the watch bus. */
export interface WatchEvent {
  /** The exact topic it was published on. */
  topic: string;
  /** The published bytes. Shared by every local subscriber: treat as read-only. */
  payload: Uint8Array;
  /** Node id of the publisher. */
  origin: string;
  /** The publisher's watch sequence number: grows by one per `publish` on that node. */
  seq: number;
}

/** What a subscriber listens to: one exact topic, or every topic starting with `prefix`. */
export type WatchTarget = string | { prefix: string };

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Compact the queue array once this many consumed slots sit at its head. */
const COMPACT_AFTER = 1024;

/**
 * A live subscription of the watch bus, from `warp.watch(...)`: an `AsyncIterableIterator` of
 * events (`for await (const event of subscription)`) that `observable()` (or rxjs `from()`) turns
 * into an `Observable`. Events wait in a buffer of `bufferSize`; when it is full the oldest is
 * dropped and counted in `dropped`. `return()` (also called by `break` in `for await`),
 * `unsubscribe()`, or unsubscribing the observable frees it.
 *
 * Consume it once: either iterate it or subscribe to one observable of it.
 */
export class WatchSubscription implements AsyncIterableIterator<WatchEvent> {
  /** Events dropped because the buffer was full (the oldest go first). */
  dropped = 0;

  private queue: WatchEvent[] = [];
  private head = 0;
  private readonly waiters: Array<(result: IteratorResult<WatchEvent, undefined>) => void> = [];
  private ended = false;

  /** @internal Built by `WatchBus.watch`. */
  constructor(
    /** What this subscription listens to. */
    readonly target: WatchTarget,
    /** Buffered events at most; beyond it the oldest is dropped. */
    readonly bufferSize: number,
    private readonly onEnd: (subscription: WatchSubscription) => void,
  ) {}

  /** Whether the subscription ended (unsubscribed, or the Warp instance closed). */
  get closed(): boolean {
    return this.ended;
  }

  /** Events waiting to be consumed. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** @internal Hands one event to the subscriber, or buffers it. */
  push(event: WatchEvent): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) return waiter({ done: false, value: event });
    if (this.buffered >= this.bufferSize) {
      // Release the dropped payload now, not at the next compaction: the buffer bound is memory too.
      this.queue[this.head] = undefined as unknown as WatchEvent;
      this.head++;
      this.dropped++;
    }
    this.queue.push(event);
    if (this.head >= COMPACT_AFTER) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The next event; waits for one. Resolves `done` once the subscription ended and the buffer is drained. */
  next(): Promise<IteratorResult<WatchEvent, undefined>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as WatchEvent; // let it be collected
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the subscription, drops the buffer and releases pending `next()` calls. Idempotent. */
  return(): Promise<IteratorResult<WatchEvent, undefined>> {
    this.end(true);
    return Promise.resolve(DONE);
  }

  /** Same as `return()`, for callers that think in subscriptions. */
  unsubscribe(): void {
    this.end(true);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  /**
   * An `Observable` of this subscription's events. It completes when the subscription ends;
   * unsubscribing from it ends the subscription.
   */
  observable(): Observable<WatchEvent> {
    return new Observable<WatchEvent>((subscriber) => {
      void (async () => {
        for (;;) {
          const result = await this.next();
          if (result.done || subscriber.closed) break;
          subscriber.next(result.value);
        }
        subscriber.complete();
      })();
      return () => this.unsubscribe();
    });
  }

  /**
   * @internal Ends the subscription. `discard` drops buffered events (an unsubscribe); without it
   * (the bus closing) the consumer still drains what was buffered.
   */
  end(discard: boolean): void {
    if (discard) {
      this.queue = [];
      this.head = 0;
    }
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
    for (const waiter of this.waiters.splice(0)) waiter(DONE);
  }
}
