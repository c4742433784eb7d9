import { OutageLog } from '../common/outage-log.js';
import type { WarpBus } from '../bus/bus.interface.js';
import { AckReplies } from './ack-replies.js';
import type { BusMessage, BusProtocol } from './bus-protocol.js';
import type { ClusterChannel } from './cluster-channel.js';
import { EventualInvalidations } from './eventual-invalidations.js';
import type { ClusterListener } from './cluster-listener.js';
import { Inbound } from './inbound.js';
import { Liveness, MISSED_HEARTBEATS } from './liveness.js';
import { MAX_LISTED_WRITES, MessageKind } from './messages.js';
import { PeerTable, memberId } from './peer-table.js';
import { PendingKeys } from './pending-keys.js';
import { StrongWrites, type PreparedWrite } from './strong-writes.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { WarpClosedError } from '../common/warp.errors.js';
import type { HybridLogicalClock } from '../common/hlc.js';

/** Longest wait for the goodbye message at shutdown. */
const BYE_TIMEOUT_MS = 1_000;
/** Members remembered at most (live or recently gone): bounds what forged ids can cost. */
const MAX_MEMBERS = 1_024;
/** Shortest freshness window: messages sent longer ago are replays (or come from a badly skewed clock). */
const MIN_FRESHNESS_MS = 30_000;

/** The cluster channel's name (`protocol.channel(CHANNEL_NAME)`); writers' reply channels hang below it. */
const CHANNEL_NAME = 'sync';

export interface ClusterOptions {
  bus: WarpBus;
  protocol: BusProtocol;
  nodeId: string;
  clock: HybridLogicalClock;
  heartbeatInterval: number;
  /** Read lease of this node (ms); below the liveness window of `MISSED_HEARTBEATS` intervals. */
  leaseMs: number;
  publishTimeout: number;
  quorum: number | 'all';
  invalidationDelay: number;
  metrics: WarpMetrics;
  logger: WarpLogger;
}

/**
 * Warp's cluster protocol over a `WarpBus` (docs/consistency.md): membership by heartbeats with
 * replay protection, this node's read lease, coalesced eventual invalidations, and both sides of
 * the StrongDistributed prepare/commit protocol.
 */
export class Cluster implements ClusterChannel {
  private readonly channel: string;
  private readonly peers: PeerTable;
  private readonly liveness: Liveness;
  private readonly inbound: Inbound;
  private readonly pending = new PendingKeys();
  private readonly strong: StrongWrites;
  private readonly eventual: EventualInvalidations;
  private readonly replies: AckReplies;
  private readonly self: string;
  /** Publish failures, logged once per outage with their count. */
  private readonly publishing: OutageLog;
  private unsubscribe?: () => Promise<void>;
  private removeConnectionListener?: () => void;
  /** Strong writes this node started: names their local pending marks. */
  private localWrites = 0;

  constructor(
    private readonly options: ClusterOptions,
    private readonly listener: ClusterListener,
  ) {
    this.channel = options.protocol.channel(CHANNEL_NAME);
    this.self = memberId(options.nodeId, options.protocol.incarnation);
    this.publishing = new OutageLog(options.logger, 'Warp: publishing on the bus');
    const freshnessMs = Math.max(MIN_FRESHNESS_MS, 10 * options.heartbeatInterval);
    this.peers = new PeerTable({ liveWindowMs: options.heartbeatInterval * MISSED_HEARTBEATS, freshnessMs, maxMembers: MAX_MEMBERS });
    this.replies = new AckReplies({
      bus: options.bus,
      protocol: options.protocol,
      channelName: CHANNEL_NAME,
      freshnessMs,
      onAck: (message) => this.inbound.onAck(memberId(message.from, message.inc), message.kind, message.body),
      onDropped: (reason) => options.metrics.busDropped(reason),
    });
    this.liveness = this.createLiveness();
    this.strong = new StrongWrites({
      liveMembers: () => this.peers.liveMembers(),
      admitted: () => this.admitted,
      canWrite: () => this.liveness.writable,
      whenWritable: (timeoutMs) => this.whenConnected(timeoutMs).then(() => this.liveness.writable),
      // A prepare names this node's reply channel: members acknowledge there, not to everyone.
      send: (kind, body) =>
        this.options.bus.publish(this.channel, this.options.protocol.encode(kind, kind === 'prep' ? { ...(body as object), r: this.replies.token } : body)),
      leaseMs: options.leaseMs,
      publishTimeout: options.publishTimeout,
      minAcks: options.quorum === 'all' ? 0 : options.quorum,
    });
    this.eventual = new EventualInvalidations({
      invalidationDelay: options.invalidationDelay,
      publishBatch: (keys, dropped) =>
        this.options.bus.publish(
          this.channel,
          this.options.protocol.encode(MessageKind.Invalidate, { keys, ts: this.options.clock.now(), at: Date.now(), ...(dropped.length > 0 ? { drop: dropped } : {}) }),
        ),
      publishReset: () => this.options.bus.publish(this.channel, this.options.protocol.encode(MessageKind.Reset, {})),
      transportUp: () => this.liveness.up,
      metrics: options.metrics,
      logger: options.logger,
    });
    const { protocol, metrics, clock } = options;
    const { self, peers, pending, strong, replies, liveness } = this;
    this.inbound = new Inbound({ protocol, metrics, clock, self, peers, pending, strong, replies, liveness, listener, send: (kind, body, channel) => this.send(kind, body, channel) });
  }

  /** Whether this node knows every live member and may cache StrongDistributed keys (see Liveness). */
  get admitted(): boolean {
    return this.liveness.admitted;
  }

  /** Whether this node is in contact with the bus and its read lease (its own heartbeats echoing) holds. */
  get connected(): boolean {
    return this.liveness.connected;
  }

  /** Whether the bus transport is known to be down (a StrongDistributed write cannot succeed now). */
  get busDown(): boolean {
    return !this.liveness.up;
  }

  /** Whether this node may serve (and fill) `key`, a StrongDistributed key, from its cache tiers now. */
  mayCacheStrong(key: string): boolean {
    return this.admitted && !this.pending.has(key);
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    await bus.connect();
    this.removeConnectionListener = bus.onConnectionChange((up) => this.liveness.onTransportChange(up));
    this.unsubscribe = await bus.subscribe(this.channel, (payload) => this.inbound.receive(payload));
    await this.replies.start();
    await this.liveness.start();
  }

  /** Resolves `true` once this node is connected (its read lease holds), `false` after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    return this.liveness.whenConnected(timeoutMs);
  }

  /** Node ids of the live peers, sorted. Reading changes nothing. */
  livePeers(): string[] {
    return this.peers.liveNodeIds();
  }

  /** Node ids that two live processes use at once, this node's included: a misconfiguration (health fails). */
  duplicateNodeIds(): string[] {
    return this.liveness.duplicateNodeIds();
  }

  /** Queues an EventualDistributed invalidation; it leaves within `invalidationDelay`. */
  invalidateSoon(key: string, dropped = false): void {
    this.eventual.add(key, dropped);
  }

  /**
   * Prepares a StrongDistributed write of `keys` under a lock of `ttl` ms: resolves once every
   * live member evicted them and marks them pending (or a silent member's lease provably ended).
   * @throws QuorumNotReachedError when it cannot (an abort was sent: nothing changed); WarpClosedError
   */
  async prepare(keys: string[], ttl: number): Promise<PreparedWrite> {
    if (this.liveness.closed || this.liveness.closing) throw new WarpClosedError('Warp is closed', { key: keys[0] });
    // The writer's own node reads through too until the commit: a local read must not fill (or
    // serve) the old value once the store may hold the new one.
    const ref = `${this.self}#local-${++this.localWrites}`;
    const deadline = performance.now() + ttl;
    for (const key of keys) this.pending.add(key, ref, deadline);
    const settle = (): void => {
      for (const key of keys) this.pending.remove(key, ref);
    };
    try {
      const write = await this.strong.prepare(keys, ttl);
      return {
        ...write,
        commit: () => (settle(), write.commit()),
        abort: () => (settle(), write.abort()),
        abandon: () => (settle(), write.abandon()),
      };
    } catch (error) {
      settle();
      throw error;
    }
  }

  /**
   * Invalidates StrongDistributed keys on every member and resolves once each evicted them: a
   * prepare/commit round with nothing persisted between.
   * @throws QuorumNotReachedError, WarpClosedError
   */
  async invalidateAcknowledged(keys: string[]): Promise<void> {
    const write = await this.prepare(keys, this.options.publishTimeout);
    write.commit();
  }

  /** Registers a handler for an extension message kind (leases, watch). */
  on(kind: string, handler: (message: BusMessage) => void): void {
    this.inbound.on(kind, handler);
  }

  /** Publishes an extension message to every peer. */
  publish(kind: string, body: unknown): Promise<void> {
    if (this.liveness.closed) return Promise.resolve();
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
    if (this.liveness.closed || this.liveness.closing) return;
    // No heartbeat may follow the goodbye, or peers would count this node live again.
    this.liveness.beginClose();
    this.eventual.close();
    let byeTimer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (byeTimer = setTimeout(resolve, BYE_TIMEOUT_MS)));
    // A node that never started never said hello: peers have nothing to forget. A node cut off
    // from the bus cannot say goodbye: peers drop it when its heartbeats stop.
    const reachable = this.options.bus.connected;
    const saysBye = this.liveness.started && reachable;
    await Promise.race([saysBye ? this.send(MessageKind.Bye, {}) : Promise.resolve(), timeout]);
    clearTimeout(byeTimer);
    this.liveness.markClosed();
    this.strong.close(new WarpClosedError('Warp closed while preparing a StrongDistributed write'));
    this.liveness.wakeWaiters();
    this.pending.clear();
    this.removeConnectionListener?.();
    const detaching = Promise.all([this.unsubscribe?.().catch(() => undefined), this.replies.close()]);
    // Cut off, an unsubscribe would wait in the client's offline queue until shutdownTimeout; the
    // bus's own close drops the subscriptions anyway.
    if (reachable) await detaching;
    else detaching.catch(() => undefined);
  }

  private send(kind: string, body: unknown, channel = this.channel): Promise<void> {
    if (this.liveness.closed || (this.liveness.closing && kind === MessageKind.Heartbeat)) return Promise.resolve();
    return this.options.bus.publish(channel, this.options.protocol.encode(kind, body)).then(
      () => {
        if (this.publishing.failing) this.publishing.recovered();
      },
      (error: unknown) => this.publishing.failed(`a "${kind}" message: ${String(error)}`),
    );
  }

  private createLiveness(): Liveness {
    const { bus, nodeId, heartbeatInterval, leaseMs, publishTimeout, logger, protocol } = this.options;
    return new Liveness({
      bus,
      channel: this.channel,
      nodeId,
      heartbeatInterval,
      leaseMs,
      publishTimeout,
      logger,
      peers: this.peers,
      nextSequence: () => protocol.nextSequence,
      send: (kind, body) => this.send(kind, body),
      listWrites: () => this.strong.listInProgress(MAX_LISTED_WRITES),
      expireWrites: () => {
        const orphaned = this.pending.expire();
        if (orphaned.length > 0) this.listener.onOrphanedWrites(orphaned);
      },
      onTransportUp: () => this.eventual.flushOwed(),
      onPossiblyMissedInvalidations: () => this.listener.onPossiblyMissedInvalidations(),
    });
  }
}

export type { ClusterListener } from './cluster-listener.js';
export { MessageKind } from './messages.js';
