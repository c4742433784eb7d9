import { OutageLog } from '../common/outage-log.js';
import type { WarpBus } from '../bus/bus.interface.js';
import { AckReplies } from './ack-replies.js';
import type { BusMessage, BusProtocol } from './bus-protocol.js';
import type { ClusterChannel } from './cluster-channel.js';
import { EventualInvalidations } from './eventual-invalidations.js';
import { isTtl, isWriteId, MessageKind, stringArray } from './messages.js';
import { PeerTable, memberId } from './peer-table.js';
import { PendingKeys } from './pending-keys.js';
import { ReadLease } from './read-lease.js';
import { LEASE_CLOCK_MARGIN, StrongWrites, type PreparedWrite } from './strong-writes.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { WarpClosedError } from '../common/warp.errors.js';
import type { HybridLogicalClock } from '../common/hlc.js';

/** A peer silent for this many heartbeat intervals is not live: its read lease has run out by then. */
const MISSED_HEARTBEATS = 3;
/** Longest wait for the goodbye message at shutdown. */
const BYE_TIMEOUT_MS = 1_000;
/** Members remembered at most (live or recently gone): bounds what forged ids can cost. */
const MAX_MEMBERS = 1_024;
/** Writes in progress listed in one heartbeat. */
const MAX_LISTED_WRITES = 256;
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

/** What the cluster tells the engine. */
export interface ClusterListener {
  /**
   * Peers wrote or invalidated these EventualDistributed keys: evict them locally. `dropped` are
   * the keys a peer invalidated explicitly (`invalidate()`, a lease revocation): their values must
   * not be served again at all, not even as a fail-safe answer.
   */
  onRemoteInvalidate(keys: string[], dropped: readonly string[]): void;
  /** A StrongDistributed write of these keys was prepared, committed or aborted: evict them locally. */
  onStrongWrite(keys: readonly string[]): void;
  /** Writes whose writer went silent before committing: drop their keys from every tier. */
  onOrphanedWrites(keys: readonly string[]): void;
  /**
   * Invalidations may have been missed (bus dropped, this process stalled, its lease lapsed):
   * distributed keys must not be served from the local tier any more.
   */
  onPossiblyMissedInvalidations(): void;
}

/**
 * Warp's cluster protocol over a `WarpBus` (docs/consistency.md): membership by heartbeats with
 * replay protection, this node's read lease, coalesced eventual invalidations, and both sides of
 * the StrongDistributed prepare/commit protocol.
 */
export class Cluster implements ClusterChannel {
  private readonly handlers = new Map<string, (message: BusMessage) => void>();
  private readonly channel: string;
  private readonly peers: PeerTable;
  private readonly lease: ReadLease;
  private readonly pending = new PendingKeys();
  private readonly strong: StrongWrites;
  private readonly eventual: EventualInvalidations;
  private readonly replies: AckReplies;
  private readonly self: string;
  private readonly liveWindow: number;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Publish failures, logged once per outage with their count. */
  private readonly publishing: OutageLog;
  private replyTimer?: NodeJS.Timeout;
  private lastReply = -Infinity;
  private unsubscribe?: () => Promise<void>;
  private removeConnectionListener?: () => void;
  private lastTick = 0;
  private transportUp = false;
  private closed = false;
  private closing = false;
  /** The lease as last seen: each change is logged once, not per tick. */
  private leaseState: 'starting' | 'held' | 'lost' = 'starting';
  private readonly reportedDuplicates = new Set<string>();
  /** Callers waiting for the read lease (a start, or a strong write after a reconnection). */
  private leaseWaiters: Array<() => void> = [];
  /**
   * When this node has heard every live member (`admissionWindow` after its first echo): until
   * then it caches no StrongDistributed key and its strong writes wait out the lease of members
   * it may not know.
   */
  private admittedAt = Infinity;
  /** Strong writes this node started: names their local pending marks. */
  private localWrites = 0;
  /** An own heartbeat came back since the transport last came up. */
  private echoedSinceUp = false;

  constructor(
    private readonly options: ClusterOptions,
    private readonly listener: ClusterListener,
  ) {
    this.channel = options.protocol.channel(CHANNEL_NAME);
    this.self = memberId(options.nodeId, options.protocol.incarnation);
    this.publishing = new OutageLog(options.logger, 'Warp: publishing on the bus');
    this.liveWindow = options.heartbeatInterval * MISSED_HEARTBEATS;
    const freshnessMs = Math.max(MIN_FRESHNESS_MS, 10 * options.heartbeatInterval);
    this.peers = new PeerTable({ liveWindowMs: this.liveWindow, freshnessMs, maxMembers: MAX_MEMBERS });
    this.replies = new AckReplies({
      bus: options.bus,
      protocol: options.protocol,
      channelName: CHANNEL_NAME,
      freshnessMs,
      onAck: (message) => this.onAck(memberId(message.from, message.inc), message.kind, message.body),
      onDropped: (reason) => options.metrics.busDropped(reason),
    });
    this.lease = new ReadLease(options.leaseMs);
    this.strong = new StrongWrites({
      liveMembers: () => this.peers.liveMembers(),
      admitted: () => this.admitted,
      canWrite: () => this.writable,
      whenWritable: (timeoutMs) => this.whenConnected(timeoutMs).then(() => this.writable),
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
      transportUp: () => this.transportUp,
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /** Whether this node knows every live member and may cache StrongDistributed keys (see `admittedAt`). */
  get admitted(): boolean {
    return this.connected && performance.now() >= this.admittedAt;
  }

  /** Whether this node is in contact with the bus and its read lease (its own heartbeats echoing) holds. */
  get connected(): boolean {
    return this.transportUp && !this.closed && this.lease.valid;
  }

  /** Whether the bus transport is known to be down (a StrongDistributed write cannot succeed now). */
  get busDown(): boolean {
    return !this.transportUp;
  }

  /** Whether this node may start a StrongDistributed write: transport up and heard itself since (see StrongWriteHost). */
  private get writable(): boolean {
    return this.transportUp && !this.closed && !this.closing && this.echoedSinceUp;
  }

  /** Whether this node may serve (and fill) `key`, a StrongDistributed key, from its cache tiers now. */
  mayCacheStrong(key: string): boolean {
    return this.admitted && !this.pending.has(key);
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    await bus.connect();
    this.removeConnectionListener = bus.onConnectionChange((up) => this.onTransportChange(up));
    this.unsubscribe = await bus.subscribe(this.channel, (payload) => this.receive(payload));
    await this.replies.start();
    this.transportUp = bus.connected;
    this.lastTick = performance.now();
    this.heartbeatTimer = setInterval(() => this.tick(), this.options.heartbeatInterval);
    this.heartbeatTimer.unref();
    this.sendHeartbeat();
    // Started means able to serve: a node that heard itself has its read lease (and knows its
    // bus works). A bus that does not echo in time is reported by the lease state, not here.
    if (!(await this.whenConnected(this.options.publishTimeout))) {
      this.options.logger.warn(`Warp: own heartbeat did not come back through the bus within ${this.options.publishTimeout}ms of start`);
    }
  }

  /** Resolves `true` once this node is connected (its read lease holds), `false` after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (this.closed || this.closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(this.connected);
      };
      const timer = setTimeout(() => {
        this.leaseWaiters = this.leaseWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.leaseWaiters.push(waiter);
    });
  }

  /** Node ids of the live peers, sorted. Reading changes nothing. */
  livePeers(): string[] {
    return this.peers.liveNodeIds();
  }

  /** Node ids that two live processes use at once, this node's included: a misconfiguration (health fails). */
  duplicateNodeIds(): string[] {
    return this.peers.duplicateNodeIds({ nodeId: this.options.nodeId });
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
    if (this.closed || this.closing) throw new WarpClosedError('Warp is closed', { key: keys[0] });
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
    clearTimeout(this.replyTimer);
    this.eventual.close();
    let byeTimer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (byeTimer = setTimeout(resolve, BYE_TIMEOUT_MS)));
    await Promise.race([this.send(MessageKind.Bye, {}), timeout]);
    clearTimeout(byeTimer);
    this.closed = true;
    this.strong.close(new WarpClosedError('Warp closed while preparing a StrongDistributed write'));
    for (const waiter of this.leaseWaiters.splice(0)) waiter();
    this.pending.clear();
    this.removeConnectionListener?.();
    await this.unsubscribe?.().catch(() => undefined);
    await this.replies.close();
  }

  private send(kind: string, body: unknown, channel = this.channel): Promise<void> {
    if (this.closed || (this.closing && kind === MessageKind.Heartbeat)) return Promise.resolve();
    return this.options.bus.publish(channel, this.options.protocol.encode(kind, body)).then(
      () => {
        if (this.publishing.failing) this.publishing.recovered();
      },
      (error: unknown) => this.publishing.failed(`a "${kind}" message: ${String(error)}`),
    );
  }

  /** A heartbeat, timed for the read lease, listing this node's writes in progress. */
  private sendHeartbeat(): void {
    if (this.closing) return;
    this.lease.sent(this.options.protocol.nextSequence, performance.now());
    const writes = this.strong.listInProgress(MAX_LISTED_WRITES);
    void this.send(MessageKind.Heartbeat, writes.length > 0 ? { w: writes } : {});
  }

  private receive(payload: Uint8Array): void {
    const decoded = this.options.protocol.decode(payload);
    if (!decoded.ok) {
      if (decoded.reason === 'own') this.onOwnMessage(decoded.message);
      else this.options.metrics.busDropped(decoded.reason);
      return;
    }
    const message = decoded.message;
    const admission = this.peers.admit(message);
    if (admission !== 'known' && admission !== 'new') return this.options.metrics.busDropped(admission);
    if (admission === 'new') this.onNewMember(message);
    const from = memberId(message.from, message.inc);
    // A body is any JSON (null, a number...): read fields only off an object, so checks below drop the rest.
    const body = (typeof message.body === 'object' && message.body !== null ? message.body : {}) as Record<string, unknown>;
    switch (message.kind) {
      case MessageKind.Heartbeat:
        return this.onListedWrites(from, body.w);
      case MessageKind.Bye: {
        this.peers.depart(from);
        this.strong.departed(from);
        const keys = this.pending.removeWriter(from);
        if (keys.length > 0) this.listener.onStrongWrite(keys);
        return;
      }
      case MessageKind.Invalidate: {
        const keys = stringArray(body.keys);
        if (keys === undefined) return this.options.metrics.busDropped('malformed');
        this.observe(body.ts);
        if (typeof body.at === 'number') this.options.metrics.busLag(Date.now() - body.at);
        this.options.metrics.invalidationsReceived(keys.length);
        this.listener.onRemoteInvalidate(keys, stringArray(body.drop) ?? []);
        return;
      }
      case MessageKind.Prepare: {
        const keys = stringArray(body.keys);
        if (keys === undefined || !isWriteId(body.id) || !isTtl(body.ttl)) return this.options.metrics.busDropped('malformed');
        const deadline = performance.now() + body.ttl;
        for (const key of keys) this.pending.add(key, `${from}#${body.id}`, deadline);
        this.options.metrics.invalidationsReceived(keys.length);
        // Evicted (and marked pending) before the acknowledgement leaves: the writer persists on it.
        this.listener.onStrongWrite(keys);
        // To the writer's reply channel when it named one (older writers: to everyone).
        void this.send(MessageKind.Ack, { id: body.id, to: from }, this.replies.channelFor(body.r));
        return;
      }
      case MessageKind.Commit:
      case MessageKind.Abort: {
        const keys = stringArray(body.keys);
        if (keys === undefined || !isWriteId(body.id)) return this.options.metrics.busDropped('malformed');
        for (const key of keys) this.pending.remove(key, `${from}#${body.id}`);
        this.listener.onStrongWrite(keys);
        return;
      }
      case MessageKind.Ack:
        return this.onAck(from, message.kind, body);
      case MessageKind.Reset:
        this.listener.onPossiblyMissedInvalidations();
        return;
      default:
        // Unknown kinds come from newer versions during a rolling upgrade: ignore them.
        this.handlers.get(message.kind)?.(message);
    }
  }

  /** An acknowledgement, from the cluster channel (older members) or this node's reply channel. */
  private onAck(from: string, kind: string, body: unknown): void {
    if (kind !== MessageKind.Ack || typeof body !== 'object' || body === null) return;
    const { to, id } = body as Record<string, unknown>;
    if (to === this.self && isWriteId(id)) this.strong.acknowledged(id, from);
  }

  private onOwnMessage(message: BusMessage): void {
    if (message.kind === MessageKind.Heartbeat) {
      const renewal = this.lease.echoed(message.seq);
      if (renewal === 'unknown') return;
      this.echoedSinceUp = true;
      if (this.admittedAt === Infinity) this.admittedAt = performance.now() + this.admissionWindow();
      if (renewal === 'lapsed') {
        if (this.leaseState === 'lost') this.options.logger.warn('Warp: own heartbeats echo through the bus again; serving distributed keys from the cache again');
        this.leaseState = 'held';
        this.listener.onPossiblyMissedInvalidations();
      }
      const waiters = this.leaseWaiters;
      this.leaseWaiters = [];
      for (const waiter of waiters) waiter();
    } else if (message.kind === MessageKind.Prepare) {
      const body = message.body as { id?: unknown } | null;
      if (isWriteId(body?.id)) this.strong.echoed(body.id);
    }
  }

  /**
   * How long a (re)joining node listens before it counts itself as knowing every member: a member
   * not heard from by then renewed its lease before this node joined, so that lease is over. Zero
   * when the bus knows its listeners and this node is alone on the channel.
   */
  private admissionWindow(): number {
    if (this.options.bus.listenerCount?.(this.channel) === 1) return 0;
    return this.options.leaseMs * LEASE_CLOCK_MARGIN;
  }

  /** Writes in progress a writer's heartbeat lists: a node that missed their prepare learns of them here. */
  private onListedWrites(from: string, listed: unknown): void {
    if (!Array.isArray(listed) || listed.length > MAX_LISTED_WRITES) return;
    const now = performance.now();
    const fresh: string[] = [];
    for (const entry of listed) {
      if (!Array.isArray(entry) || !isWriteId(entry[0]) || typeof entry[1] !== 'string' || !isTtl(entry[2])) continue;
      if (this.pending.add(entry[1], `${from}#${entry[0]}`, now + entry[2])) fresh.push(entry[1]);
    }
    if (fresh.length > 0) this.listener.onStrongWrite(fresh);
  }

  private onNewMember(message: BusMessage): void {
    // Another process with this node's id; duplicates among peers are found by the tick's scan.
    if (message.from === this.options.nodeId) this.reportDuplicate(message.from);
    // Answer newcomers soon, so they learn the membership (and writes in progress) without waiting
    // a full interval; one reply serves every newcomer of the moment, so forged ids cause no storm.
    if (message.kind !== MessageKind.Heartbeat || this.replyTimer !== undefined) return;
    const gap = Math.max(20, this.options.heartbeatInterval / 5);
    const wait = Math.max(0, this.lastReply + gap - performance.now());
    this.replyTimer = setTimeout(() => {
      this.replyTimer = undefined;
      this.lastReply = performance.now();
      this.sendHeartbeat();
    }, wait);
    this.replyTimer.unref();
  }

  private reportDuplicate(nodeId: string): void {
    if (this.reportedDuplicates.has(nodeId)) return;
    this.reportedDuplicates.add(nodeId);
    this.options.logger.error(
      `Warp: two live processes use the node id "${nodeId}"${nodeId === this.options.nodeId ? ' (this one included)' : ''}: ` +
        'give each process its own nodeId (default: random). Health reports this node down until it is fixed.',
    );
  }

  private tick(): void {
    const now = performance.now();
    // A stalled event loop (GC pause, SIGSTOP, debugger) may have slept through invalidations.
    if (now - this.lastTick > this.liveWindow) this.listener.onPossiblyMissedInvalidations();
    this.lastTick = now;
    if (this.leaseState === 'held' && !this.lease.valid) {
      // Our heartbeats stopped coming back: the subscription is dead even if the socket is not.
      this.leaseState = 'lost';
      this.options.logger.warn('Warp: own heartbeats no longer echo through the bus; reading distributed keys from the store');
      this.listener.onPossiblyMissedInvalidations();
    }
    const orphaned = this.pending.expire();
    if (orphaned.length > 0) this.listener.onOrphanedWrites(orphaned);
    this.peers.prune();
    const duplicates = this.duplicateNodeIds();
    for (const nodeId of duplicates) this.reportDuplicate(nodeId);
    if (duplicates.length === 0) this.reportedDuplicates.clear();
    this.sendHeartbeat();
  }

  private onTransportChange(up: boolean): void {
    if (up === this.transportUp) return;
    this.transportUp = up;
    this.admittedAt = Infinity;
    this.echoedSinceUp = false;
    this.lease.revoke();
    this.listener.onPossiblyMissedInvalidations();
    if (up) {
      this.options.logger.warn('Warp: bus connection restored');
      this.sendHeartbeat();
      this.eventual.flushOwed();
    } else {
      this.leaseState = 'lost';
      this.options.logger.warn('Warp: bus connection lost; reading distributed keys from the store until it returns');
    }
  }

  private observe(ts: unknown): void {
    if (typeof ts === 'number') this.options.clock.observe(ts);
  }
}

export { MessageKind } from './messages.js';
