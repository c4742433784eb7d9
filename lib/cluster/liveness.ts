import type { WarpBus } from '../bus/bus.interface.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { BusMessage } from './bus-protocol.js';
import { MessageKind } from './messages.js';
import type { PeerTable } from './peer-table.js';
import { ReadLease } from './read-lease.js';
import { LEASE_CLOCK_MARGIN } from './strong-writes.js';

/** A peer silent for this many heartbeat intervals is not live: its read lease has run out by then. */
export const MISSED_HEARTBEATS = 3;

/** What the liveness of a node needs from its cluster. */
export interface LivenessOptions {
  bus: WarpBus;
  /** The cluster channel (its bus listener count tells a node alone on a `MemoryBus`). */
  channel: string;
  nodeId: string;
  heartbeatInterval: number;
  leaseMs: number;
  publishTimeout: number;
  logger: WarpLogger;
  peers: PeerTable;
  /** The sequence number the next message gets: a heartbeat's lease is timed by it. */
  nextSequence(): number;
  /** Sends a protocol message on the cluster channel (failures are logged there). */
  send(kind: string, body: unknown): Promise<void>;
  /** This node's writes in progress, listed in each heartbeat. */
  listWrites(): unknown[];
  /** Once per tick, before the heartbeat: writes whose writer went silent are dropped. */
  expireWrites(): void;
  /** The transport came back: owed invalidations go out. */
  onTransportUp(): void;
  /** Invalidations may have been missed: distributed keys must not be served from the local tier. */
  onPossiblyMissedInvalidations(): void;
}

/**
 * One node's liveness in the cluster (docs/consistency.md, "Read leases, membership"): heartbeats
 * and their echo, the read lease they renew, admission after (re)joining, the bus transport's
 * state, stall detection, answers to newcomers and duplicate node ids. `Cluster` owns one.
 */
export class Liveness {
  private readonly lease: ReadLease;
  readonly liveWindow: number;
  private heartbeatTimer?: NodeJS.Timeout;
  private replyTimer?: NodeJS.Timeout;
  private lastReply = -Infinity;
  private lastTick = 0;
  private transportUp = false;
  private isClosed = false;
  private isClosing = false;
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
  /** An own heartbeat came back since the transport last came up. */
  private echoedSinceUp = false;

  constructor(private readonly options: LivenessOptions) {
    this.lease = new ReadLease(options.leaseMs);
    this.liveWindow = options.heartbeatInterval * MISSED_HEARTBEATS;
  }

  /** Whether this node knows every live member and may cache StrongDistributed keys (see `admittedAt`). */
  get admitted(): boolean {
    return this.connected && performance.now() >= this.admittedAt;
  }

  /** Whether this node is in contact with the bus and its read lease (its own heartbeats echoing) holds. */
  get connected(): boolean {
    return this.transportUp && !this.isClosed && this.lease.valid;
  }

  /** Whether the bus transport is up as far as this node knows. */
  get up(): boolean {
    return this.transportUp;
  }

  /** Whether this node may start a StrongDistributed write: transport up and heard itself since (see StrongWriteHost). */
  get writable(): boolean {
    return this.transportUp && !this.isClosed && !this.isClosing && this.echoedSinceUp;
  }

  /** Whether `start()` began heartbeating (a node that never did has no goodbye to say). */
  get started(): boolean {
    return this.heartbeatTimer !== undefined;
  }

  /** `close()` began: no heartbeat may follow the goodbye. */
  get closing(): boolean {
    return this.isClosing;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Starts heartbeating on a connected, subscribed bus; resolves once the own heartbeat echoed (or warns). */
  async start(): Promise<void> {
    this.transportUp = this.options.bus.connected;
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
    if (this.isClosed || this.isClosing) return Promise.resolve(false);
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

  /** Node ids that two live processes use at once, this node's included: a misconfiguration (health fails). */
  duplicateNodeIds(): string[] {
    return this.options.peers.duplicateNodeIds({ nodeId: this.options.nodeId });
  }

  /** `close()` began: heartbeats and answers to newcomers stop. */
  beginClose(): void {
    this.isClosing = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.replyTimer);
  }

  /** The goodbye is out (or timed out): this node is closed. */
  markClosed(): void {
    this.isClosed = true;
  }

  /** Releases every caller waiting for the read lease (they see `connected` as it is now). */
  wakeWaiters(): void {
    for (const waiter of this.leaseWaiters.splice(0)) waiter();
  }

  /** A heartbeat, timed for the read lease, listing this node's writes in progress. */
  sendHeartbeat(): void {
    if (this.isClosing) return;
    this.lease.sent(this.options.nextSequence(), performance.now());
    const writes = this.options.listWrites();
    void this.options.send(MessageKind.Heartbeat, writes.length > 0 ? { w: writes } : {});
  }

  /** This node's own heartbeat came back through the bus: the read lease renews. */
  onOwnHeartbeat(seq: number): void {
    const renewal = this.lease.echoed(seq);
    if (renewal === 'unknown') return;
    this.echoedSinceUp = true;
    if (this.admittedAt === Infinity) this.admittedAt = performance.now() + this.admissionWindow();
    if (renewal === 'lapsed') {
      if (this.leaseState === 'lost') this.options.logger.warn('Warp: own heartbeats echo through the bus again; serving distributed keys from the cache again');
      this.leaseState = 'held';
      this.options.onPossiblyMissedInvalidations();
    }
    const waiters = this.leaseWaiters;
    this.leaseWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** A member this node had not heard yet: a duplicate of this node's id, or a newcomer to answer. */
  onNewMember(message: BusMessage): void {
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

  onTransportChange(up: boolean): void {
    if (up === this.transportUp) return;
    this.transportUp = up;
    this.admittedAt = Infinity;
    this.echoedSinceUp = false;
    this.lease.revoke();
    this.options.onPossiblyMissedInvalidations();
    if (up) {
      this.options.logger.warn('Warp: bus connection restored');
      this.sendHeartbeat();
      this.options.onTransportUp();
    } else {
      this.leaseState = 'lost';
      this.options.logger.warn('Warp: bus connection lost; reading distributed keys from the store until it returns');
    }
  }

  /**
   * How long a (re)joining node listens before it counts itself as knowing every member: a member
   * not heard from by then renewed its lease before this node joined, so that lease is over. Zero
   * when the bus knows its listeners and this node is alone on the channel.
   */
  private admissionWindow(): number {
    if (this.options.bus.listenerCount?.(this.options.channel) === 1) return 0;
    return this.options.leaseMs * LEASE_CLOCK_MARGIN;
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
    if (now - this.lastTick > this.liveWindow) this.options.onPossiblyMissedInvalidations();
    this.lastTick = now;
    if (this.leaseState === 'held' && !this.lease.valid) {
      // Our heartbeats stopped coming back: the subscription is dead even if the socket is not.
      this.leaseState = 'lost';
      this.options.logger.warn('Warp: own heartbeats no longer echo through the bus; reading distributed keys from the store');
      this.options.onPossiblyMissedInvalidations();
    }
    this.options.expireWrites();
    this.options.peers.prune();
    const duplicates = this.duplicateNodeIds();
    for (const nodeId of duplicates) this.reportDuplicate(nodeId);
    if (duplicates.length === 0) this.reportedDuplicates.clear();
    this.sendHeartbeat();
  }
}
