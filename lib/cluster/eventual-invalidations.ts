import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';

/** Keys per invalidation message: keeps messages well under transport and protocol size limits. */
export const MAX_KEYS_PER_MESSAGE = 512;
/** Invalidated keys kept for a retry while the bus refuses publishes; past it peers get a reset. */
const MAX_INVALIDATION_BACKLOG = 100_000;
/** Delay before retrying invalidations whose publish failed. */
const PUBLISH_RETRY_MS = 100;

export interface EventualInvalidationsOptions {
  /** Longest delay (ms) before a batch leaves while another one is in flight. */
  invalidationDelay: number;
  /** Publishes one batch; `dropped` are the keys invalidated explicitly. Rejects when the bus refused it. */
  publishBatch(keys: string[], dropped: string[]): Promise<void>;
  /** Tells peers to drop every distributed key (the backlog overflowed while the bus was down). */
  publishReset(): Promise<void>;
  /** Whether the transport is up: while it is down keys wait, and the reconnection flushes them. */
  transportUp(): boolean;
  metrics: WarpMetrics;
  logger: WarpLogger;
}

/**
 * EventualDistributed invalidations: coalesced into batches that leave within `invalidationDelay`
 * whatever event-loop phase queued them, retried while the bus refuses them (an invalidation that
 * never leaves would let peers serve the old value forever), and replaced by a `reset` past a
 * backlog bound.
 */
export class EventualInvalidations {
  /** Keys waiting to be invalidated on peers → whether they were dropped explicitly. */
  private readonly pendingKeys = new Map<string, boolean>();
  private flushTimer?: NodeJS.Timeout;
  /** A flush is queued for the end of the current microtasks. */
  private flushQueued = false;
  /** This event-loop turn already sent its early batch: later keys of the turn wait for `flushImmediate`. */
  private earlyBatchSent = false;
  private flushImmediate?: NodeJS.Immediate;
  private retryTimer?: NodeJS.Timeout;
  /** Batches published and not yet confirmed by the bus. */
  private batchesInFlight = 0;
  /** Invalidations were dropped from a full backlog: peers must be told to reset. */
  private resetOwed = false;
  private closed = false;

  constructor(private readonly options: EventualInvalidationsOptions) {}

  /**
   * Queues an invalidation. With no batch in flight the batch leaves as soon as the current
   * microtasks have run (coalescing the writes that completed together, e.g. a burst of deletes
   * one `UNLINK` acknowledged): an idle bus has nothing else to wait for, and the event-loop turn
   * the flush used to wait for cost every lone write its callbacks and the caller's continuation
   * before peers heard of it. While a batch is in flight, keys accumulate until it lands (at most
   * `invalidationDelay`), so the batch size grows with load instead of every write paying a fixed
   * delay. One early batch per event-loop turn: a burst of awaited writes within one turn (a loop,
   * a batch job) shares one more batch when the turn ends, as it did before early batches existed.
   */
  add(key: string, dropped: boolean): void {
    this.pendingKeys.set(key, dropped || this.pendingKeys.get(key) === true);
    if (this.pendingKeys.size >= MAX_KEYS_PER_MESSAGE) {
      this.flush();
    } else if (this.batchesInFlight === 0 && !this.earlyBatchSent) {
      if (!this.flushQueued) {
        this.flushQueued = true;
        this.earlyBatchSent = true;
        setImmediate(() => (this.earlyBatchSent = false));
        queueMicrotask(() => {
          this.flushQueued = false;
          this.flush();
        });
      }
    } else if (this.batchesInFlight === 0) {
      // A burst within one turn (a loop of awaited writes): one more batch, once the turn is over.
      this.flushImmediate ??= setImmediate(() => {
        this.flushImmediate = undefined;
        this.flush();
      });
    } else {
      this.flushTimer ??= setTimeout(() => this.flush(), this.options.invalidationDelay);
    }
  }

  /** Publishes what is queued now. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    this.flushImmediate = undefined;
    if (this.pendingKeys.size === 0 || !this.options.transportUp()) return;
    const keys = [...this.pendingKeys.keys()];
    const dropped = new Set(keys.filter((key) => this.pendingKeys.get(key)));
    this.pendingKeys.clear();
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_MESSAGE) {
      const batch = keys.slice(i, i + MAX_KEYS_PER_MESSAGE);
      this.batchesInFlight++;
      void this.publish(batch, dropped.size === 0 ? [] : batch.filter((key) => dropped.has(key)));
    }
  }

  /** Sends what failed earlier: a reset if the backlog overflowed, then the pending keys. */
  flushOwed(): void {
    if (!this.options.transportUp()) return;
    if (this.resetOwed) {
      this.resetOwed = false;
      this.options.publishReset().catch(() => (this.resetOwed = true));
    }
    this.flush();
  }

  /** Flushes once more and stops the timers. */
  close(): void {
    this.flush();
    this.closed = true;
    clearTimeout(this.flushTimer);
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    clearTimeout(this.retryTimer);
  }

  private async publish(keys: string[], dropped: string[]): Promise<void> {
    let landed = true;
    try {
      await this.options.publishBatch(keys, dropped);
      this.options.metrics.invalidationsSent(keys.length);
    } catch (error) {
      landed = false;
      this.options.logger.warn(`Warp: publishing ${keys.length} invalidations failed, will retry: ${String(error)}`);
      this.requeue(keys, dropped);
    }
    // The bus took a batch: keys queued behind it go out now rather than at the timer.
    if (--this.batchesInFlight === 0 && landed && this.pendingKeys.size > 0) this.flush();
  }

  private requeue(keys: string[], dropped: string[]): void {
    if (this.closed) return;
    if (this.pendingKeys.size + keys.length > MAX_INVALIDATION_BACKLOG) {
      // Too many to replay one by one: after reconnecting, tell peers to drop distributed keys.
      this.resetOwed = true;
      this.pendingKeys.clear();
      return;
    }
    for (const key of keys) if (!this.pendingKeys.has(key)) this.pendingKeys.set(key, false);
    for (const key of dropped) this.pendingKeys.set(key, true);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.flushOwed();
      }, PUBLISH_RETRY_MS);
      this.retryTimer.unref();
    }
  }
}
