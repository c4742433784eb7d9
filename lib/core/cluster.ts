import type { SyncBus } from '../bus/sync-bus.interface.js';
import { BusProtocol, type BusMessage } from '../bus/bus-protocol.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { QuorumNotReachedError, WarpClosedError } from '../warp.errors.js';
import type { HybridLogicalClock } from './hlc.js';

/** Keys per invalidation message: keeps messages well under transport and protocol size limits. */
const MAX_KEYS_PER_MESSAGE = 512;
/** A peer silent for this many heartbeat intervals is considered gone by the others. */
const MISSED_HEARTBEATS = 3;
/**
 * A node whose own heartbeat has not echoed back for this many intervals stops serving distributed
 * keys from its local tier: one interval before its peers stop waiting for its acknowledgements.
 */
const MISSED_ECHOES = MISSED_HEARTBEATS - 1;
/** Invalidated keys kept for a retry while the bus refuses publishes; past it peers get a reset. */
const MAX_INVALIDATION_BACKLOG = 100_000;
/** Delay before retrying invalidations whose publish failed. */
const PUBLISH_RETRY_MS = 100;
/** Longest wait for the goodbye message at shutdown. */
const BYE_TIMEOUT_MS = 1_000;

/** Message kinds of Warp's cluster protocol (one channel, multiplexed by kind). */
export const MessageKind = {
  Heartbeat: 'hb',
  Bye: 'bye',
  Invalidate: 'inv',
  StrongInvalidate: 'sinv',
  Ack: 'ack',
  /** "You may have missed invalidations from me": peers drop distributed keys from their local tier. */
  Reset: 'reset',
} as const;

export interface ClusterOptions {
  bus: SyncBus;
  protocol: BusProtocol;
  nodeId: string;
  clock: HybridLogicalClock;
  heartbeatInterval: number;
  publishTimeout: number;
  quorum: number | 'all';
  invalidationDelay: number;
  metrics: WarpMetrics;
  logger: WarpLogger;
}

/** What the cluster tells the engine. */
export interface ClusterListener {
  /** Peers wrote or invalidated these keys: evict them locally. */
  /**
   * Peers wrote or invalidated these keys: evict them locally. `dropped` are the keys a peer
   * invalidated explicitly (`invalidate()`, a lease revocation): their values must not be served
   * again at all, not even as a fail-safe answer.
   */
  onRemoteInvalidate(keys: string[], dropped: readonly string[]): void;
  /**
   * Invalidations may have been missed (bus dropped, or this process stalled past the heartbeat
   * window): distributed keys must not be served from the local tier any more.
   */
  onPossiblyMissedInvalidations(): void;
}

interface PendingAck {
  waiting: Set<string>;
  needed: number;
  acked: number;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  keys: string[];
}

/**
 * Warp's membership and invalidation protocol over a `SyncBus`: heartbeats for live-peer
 * membership, coalesced eventual invalidations, acknowledged strong invalidations, and detection
 * of the moments when this node may have missed invalidations (disconnects, event-loop stalls,
 * or its own heartbeat no longer echoing back through the transport).
 */
export class Cluster {
  private readonly peers = new Map<string, number>();
  /** Keys waiting to be invalidated on peers → whether they were dropped explicitly. */
  private readonly pendingKeys = new Map<string, boolean>();
  private readonly pendingAcks = new Map<number, PendingAck>();
  private readonly handlers = new Map<string, (message: BusMessage) => void>();
  private readonly channel: string;
  private flushTimer?: NodeJS.Timeout;
  private flushImmediate?: NodeJS.Immediate;
  /** Invalidation batches published and not yet confirmed by the bus. */
  private batchesInFlight = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;
  private removeConnectionListener?: () => void;
  private lastTick = 0;
  private lastEcho = 0;
  private ackSeq = 0;
  private transportUp = false;
  private echoing = true;
  private closed = false;
  private closing = false;
  /** Invalidations were dropped from a full backlog: peers must be told to reset. */
  private resetOwed = false;
  private retryTimer?: NodeJS.Timeout;
  /**
   * When this node may serve StrongDistributed keys from its local tier: one heartbeat interval
   * after its own heartbeat first echoed back (after start or a reconnection). Until peers count it
   * live, their writes do not wait for its acknowledgement, so it must not cache what they change.
   */
  private admittedAt = Infinity;

  constructor(
    private readonly options: ClusterOptions,
    private readonly listener: ClusterListener,
  ) {
    this.channel = options.protocol.channel('sync');
  }

  /** Whether this node is a live member whose acknowledgements peers await (see `admittedAt`). */
  get admitted(): boolean {
    return Date.now() >= this.admittedAt && this.connected;
  }

  /** Whether this node is in contact with the bus and hears its own heartbeats back. */
  get connected(): boolean {
    return (
      this.transportUp && this.echoing && !this.closed && Date.now() - this.lastEcho <= this.options.heartbeatInterval * MISSED_ECHOES
    );
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    await bus.connect();
    this.removeConnectionListener = bus.onConnectionChange((up) => this.onTransportChange(up));
    this.unsubscribe = await bus.subscribe(this.channel, (payload) => this.receive(payload));
    this.transportUp = bus.connected;
    this.lastTick = this.lastEcho = Date.now();
    this.heartbeatTimer = setInterval(() => this.tick(), this.options.heartbeatInterval);
    this.heartbeatTimer.unref();
    this.send(MessageKind.Heartbeat, { at: Date.now() });
  }

  /** Ids of peers heard from within the heartbeat window. */
  livePeers(): string[] {
    const cutoff = Date.now() - this.options.heartbeatInterval * MISSED_HEARTBEATS;
    const live: string[] = [];
    for (const [id, seen] of this.peers) {
      if (seen >= cutoff) live.push(id);
      else this.peers.delete(id);
    }
    return live;
  }

  /**
   * Queues an eventual invalidation; batches go out within `invalidationDelay` ms. With no batch in
   * flight the batch leaves at the end of this event-loop turn (coalescing the turn's writes);
   * while one is in flight, keys accumulate until it lands (at most `invalidationDelay`), so the
   * batch size grows with load instead of every write paying a fixed delay.
   */
  invalidateSoon(key: string, dropped = false): void {
    this.pendingKeys.set(key, dropped || this.pendingKeys.get(key) === true);
    if (this.pendingKeys.size >= MAX_KEYS_PER_MESSAGE) {
      this.flush();
    } else if (this.batchesInFlight === 0) {
      if (this.flushImmediate === undefined) {
        this.flushImmediate = setImmediate(() => this.flush());
        this.flushImmediate.unref();
      }
    } else if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.invalidationDelay);
      this.flushTimer.unref();
    }
  }

  /**
   * Invalidates keys on every live peer and resolves once they (or `quorum` of them)
   * acknowledged; rejects with `QuorumNotReachedError` after `publishTimeout`.
   */
  invalidateAcknowledged(keys: string[], dropped = false): Promise<void> {
    if (this.closed) return Promise.reject(new WarpClosedError('Warp is closed', { key: keys[0] }));
    const live = this.livePeers();
    const { quorum, publishTimeout } = this.options;
    const needed = quorum === 'all' ? live.length : quorum;
    if (!this.connected) {
      return Promise.reject(
        new QuorumNotReachedError(
          `Cannot invalidate "${keys[0]}" on peers: this node has lost contact with the bus`,
          { key: keys[0] },
        ),
      );
    }
    const id = ++this.ackSeq;
    const done = new Promise<void>((resolve, reject) => {
      // Not unref'ed: a caller awaits this, and the process must live until it settles.
      const timer = setTimeout(() => this.expireAck(id), publishTimeout);
      this.pendingAcks.set(id, { waiting: new Set(live), needed, acked: 0, resolve, reject, timer, keys });
    });
    this.send(MessageKind.StrongInvalidate, { id, keys, ts: this.options.clock.now(), ...(dropped ? { drop: keys } : {}) });
    if (needed === 0) this.settleAck(id);
    return done;
  }

  /** Registers a handler for an extension message kind (leases, watch). */
  on(kind: string, handler: (message: BusMessage) => void): void {
    this.handlers.set(kind, handler);
  }

  /** Publishes an extension message to every peer. */
  publish(kind: string, body: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Unlike the protocol's own messages, an extension's caller learns of a failure: an oversized
    // message (thrown by encode) or a publish the bus refused.
    try {
      return this.options.bus.publish(this.channel, this.options.protocol.encode(kind, body));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Flushes queued invalidations, says goodbye and detaches from the bus. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    // No heartbeat may follow the goodbye, or peers would count this node live again.
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    this.flush();
    let byeTimer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (byeTimer = setTimeout(resolve, BYE_TIMEOUT_MS)));
    await Promise.race([this.send(MessageKind.Bye, {}), timeout]);
    clearTimeout(byeTimer);
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    clearImmediate(this.flushImmediate);
    for (const [id, pending] of this.pendingAcks) {
      clearTimeout(pending.timer);
      pending.reject(new WarpClosedError('Warp closed while waiting for acknowledgements', { key: pending.keys[0] }));
      this.pendingAcks.delete(id);
    }
    this.removeConnectionListener?.();
    await this.unsubscribe?.().catch(() => undefined);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    clearImmediate(this.flushImmediate);
    this.flushImmediate = undefined;
    // While the transport is down keys wait here; the reconnection flushes them.
    if (this.pendingKeys.size === 0 || !this.transportUp) return;
    const keys = [...this.pendingKeys.keys()];
    const dropped = new Set(keys.filter((key) => this.pendingKeys.get(key)));
    this.pendingKeys.clear();
    const ts = this.options.clock.now();
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_MESSAGE) {
      const batch = keys.slice(i, i + MAX_KEYS_PER_MESSAGE);
      this.batchesInFlight++;
      void this.publishBatch(batch, dropped.size === 0 ? [] : batch.filter((key) => dropped.has(key)), ts);
    }
  }

  /**
   * Publishes one batch of invalidations. A refused publish puts the keys back for a retry: an
   * invalidation that never leaves would let peers serve the old value forever.
   */
  private async publishBatch(keys: string[], dropped: string[], ts: number): Promise<void> {
    let landed = true;
    try {
      const body = dropped.length === 0 ? { keys, ts, at: Date.now() } : { keys, drop: dropped, ts, at: Date.now() };
      await this.options.bus.publish(this.channel, this.options.protocol.encode(MessageKind.Invalidate, body));
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

  /** Sends what failed earlier: a reset if the backlog overflowed, then the pending keys. */
  private flushOwed(): void {
    if (!this.transportUp) return;
    if (this.resetOwed) {
      this.resetOwed = false;
      this.options.bus.publish(this.channel, this.options.protocol.encode(MessageKind.Reset, {})).catch(() => (this.resetOwed = true));
    }
    this.flush();
  }

  private send(kind: string, body: unknown): Promise<void> {
    if (this.closed || (this.closing && kind === MessageKind.Heartbeat)) return Promise.resolve();
    return this.options.bus.publish(this.channel, this.options.protocol.encode(kind, body)).catch((error: unknown) => {
      this.options.logger.warn(`Warp: publishing a "${kind}" message failed: ${String(error)}`);
    });
  }

  private receive(payload: Uint8Array): void {
    const decoded = this.options.protocol.decode(payload);
    if (!decoded.ok) {
      if (decoded.reason === 'own') this.onEcho();
      else this.options.metrics.busDropped(decoded.reason);
      return;
    }
    const message = decoded.message;
    // A body is any JSON (null, a number...): read fields only off an object, so checks below drop the rest.
    const body = (typeof message.body === 'object' && message.body !== null ? message.body : {}) as Record<string, unknown>;
    this.sawPeer(message.from, message.kind);
    switch (message.kind) {
      case MessageKind.Heartbeat:
        return;
      case MessageKind.Bye:
        this.peers.delete(message.from);
        this.forgetPeer(message.from);
        return;
      case MessageKind.Invalidate: {
        const keys = stringArray(body.keys);
        if (keys === undefined) return this.options.metrics.busDropped('malformed');
        this.observe(body.ts);
        if (typeof body.at === 'number') this.options.metrics.busLag(Date.now() - body.at);
        this.options.metrics.invalidationsReceived(keys.length);
        this.listener.onRemoteInvalidate(keys, stringArray(body.drop) ?? []);
        return;
      }
      case MessageKind.StrongInvalidate: {
        const keys = stringArray(body.keys);
        if (keys === undefined || !Number.isSafeInteger(body.id)) return this.options.metrics.busDropped('malformed');
        this.observe(body.ts);
        this.options.metrics.invalidationsReceived(keys.length);
        this.listener.onRemoteInvalidate(keys, stringArray(body.drop) ?? []);
        void this.send(MessageKind.Ack, { id: body.id, to: message.from });
        return;
      }
      case MessageKind.Reset:
        this.listener.onPossiblyMissedInvalidations();
        return;
      case MessageKind.Ack:
        if (body.to === this.options.nodeId && typeof body.id === 'number') this.onAck(body.id, message.from);
        return;
      default:
        // Unknown kinds come from newer versions during a rolling upgrade: ignore them.
        this.handlers.get(message.kind)?.(message);
    }
  }

  private sawPeer(id: string, kind: string): void {
    const known = this.peers.has(id);
    if (kind !== MessageKind.Bye) this.peers.set(id, Date.now());
    // Answer a newcomer at once, so it learns the membership without waiting a full interval.
    if (!known && kind === MessageKind.Heartbeat) void this.send(MessageKind.Heartbeat, { at: Date.now() });
  }

  private onAck(id: number, from: string): void {
    const pending = this.pendingAcks.get(id);
    if (pending === undefined || !pending.waiting.delete(from)) return;
    pending.acked++;
    if (pending.acked >= pending.needed) this.settleAck(id);
  }

  private settleAck(id: number): void {
    const pending = this.pendingAcks.get(id);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pendingAcks.delete(id);
    pending.resolve();
  }

  private expireAck(id: number): void {
    const pending = this.pendingAcks.get(id);
    if (pending === undefined) return;
    this.pendingAcks.delete(id);
    const missing = [...pending.waiting].join(', ') || 'none known';
    pending.reject(
      new QuorumNotReachedError(
        `StrongDistributed write of "${pending.keys[0]}": ${pending.acked} of ${pending.needed} required peer acknowledgements ` +
          `within ${this.options.publishTimeout}ms (missing: ${missing}). The store holds the new value; ` +
          `peers that did not acknowledge evict it when they recover.`,
        { key: pending.keys[0] },
      ),
    );
  }

  /** A departed peer is no longer awaited: with quorum 'all' only live peers count. */
  private forgetPeer(id: string): void {
    for (const [ackId, pending] of this.pendingAcks) {
      if (pending.waiting.delete(id) && this.options.quorum === 'all') {
        pending.needed--;
        if (pending.acked >= pending.needed) this.settleAck(ackId);
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    const window = this.options.heartbeatInterval * MISSED_HEARTBEATS;
    // A stalled event loop (GC pause, SIGSTOP, debugger) may have slept through invalidations.
    if (now - this.lastTick > window) this.listener.onPossiblyMissedInvalidations();
    this.lastTick = now;
    if (this.echoing && now - this.lastEcho > this.options.heartbeatInterval * MISSED_ECHOES) {
      // Our heartbeats stopped coming back: the subscription is dead even if the socket is not.
      this.echoing = false;
      this.admittedAt = Infinity;
      this.options.logger.warn('Warp: own heartbeats no longer echo through the bus; serving distributed keys from the store');
      this.listener.onPossiblyMissedInvalidations();
    }
    void this.send(MessageKind.Heartbeat, { at: now });
  }

  private onEcho(): void {
    this.lastEcho = Date.now();
    if (this.admittedAt === Infinity) this.admittedAt = this.lastEcho + this.options.heartbeatInterval;
    if (!this.echoing) {
      this.echoing = true;
      this.listener.onPossiblyMissedInvalidations();
    }
  }

  private onTransportChange(up: boolean): void {
    if (up === this.transportUp) return;
    this.transportUp = up;
    this.admittedAt = Infinity;
    this.listener.onPossiblyMissedInvalidations();
    if (up) {
      this.lastEcho = Date.now();
      void this.send(MessageKind.Heartbeat, { at: Date.now() });
      this.flushOwed();
    }
  }

  private observe(ts: unknown): void {
    if (typeof ts === 'number') this.options.clock.observe(ts);
  }
}

function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_KEYS_PER_MESSAGE) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}
