import type { HybridLogicalClock } from '../common/hlc.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import type { AckReplies } from './ack-replies.js';
import type { BusMessage, BusProtocol } from './bus-protocol.js';
import type { ClusterListener } from './cluster-listener.js';
import type { Liveness } from './liveness.js';
import { isTtl, isWriteId, MAX_LISTED_WRITES, MessageKind, stringArray } from './messages.js';
import { memberId, type PeerTable } from './peer-table.js';
import type { PendingKeys } from './pending-keys.js';
import type { StrongWrites } from './strong-writes.js';

/** What the dispatch of incoming messages acts on: the cluster's parts. */
export interface InboundParts {
  protocol: BusProtocol;
  metrics: WarpMetrics;
  clock: HybridLogicalClock;
  /** This node's member id (node id and incarnation): acknowledgements addressed to it count. */
  self: string;
  peers: PeerTable;
  pending: PendingKeys;
  strong: StrongWrites;
  replies: AckReplies;
  liveness: Liveness;
  listener: ClusterListener;
  /** Sends a protocol message (on the cluster channel unless `channel` says otherwise). */
  send(kind: string, body: unknown, channel?: string): Promise<void>;
}

/**
 * The receiving side of the cluster channel: decodes a payload, admits its sender, and dispatches
 * it by kind to membership, the eventual invalidations, both sides of the strong write protocol,
 * or an extension's handler (leases, watch).
 */
export class Inbound {
  private readonly handlers = new Map<string, (message: BusMessage) => void>();

  constructor(private readonly parts: InboundParts) {}

  /** Registers a handler for an extension message kind (leases, watch). */
  on(kind: string, handler: (message: BusMessage) => void): void {
    this.handlers.set(kind, handler);
  }

  receive(payload: Uint8Array): void {
    const { protocol, metrics, peers } = this.parts;
    const decoded = protocol.decode(payload);
    if (!decoded.ok) {
      if (decoded.reason === 'own') this.onOwnMessage(decoded.message);
      else metrics.busDropped(decoded.reason);
      return;
    }
    const message = decoded.message;
    const admission = peers.admit(message);
    if (admission !== 'known' && admission !== 'new') return metrics.busDropped(admission);
    if (admission === 'new') this.parts.liveness.onNewMember(message);
    const from = memberId(message.from, message.inc);
    // A body is any JSON (null, a number...): read fields only off an object, so checks below drop the rest.
    const body = (typeof message.body === 'object' && message.body !== null ? message.body : {}) as Record<string, unknown>;
    switch (message.kind) {
      case MessageKind.Heartbeat:
        return this.onListedWrites(from, body.w);
      case MessageKind.Bye:
        return this.onBye(from);
      case MessageKind.Invalidate:
        return this.onInvalidate(body);
      case MessageKind.Prepare:
        return this.onPrepare(from, body);
      case MessageKind.Commit:
      case MessageKind.Abort:
        return this.onSettled(from, body);
      case MessageKind.Ack:
        return this.onAck(from, message.kind, body);
      case MessageKind.Reset:
        this.parts.listener.onPossiblyMissedInvalidations();
        return;
      default:
        // Unknown kinds come from newer versions during a rolling upgrade: ignore them.
        this.handlers.get(message.kind)?.(message);
    }
  }

  /** An acknowledgement, from the cluster channel (older members) or this node's reply channel. */
  onAck(from: string, kind: string, body: unknown): void {
    if (kind !== MessageKind.Ack || typeof body !== 'object' || body === null) return;
    const { to, id } = body as Record<string, unknown>;
    if (to === this.parts.self && isWriteId(id)) this.parts.strong.acknowledged(id, from);
  }

  private onBye(from: string): void {
    this.parts.peers.depart(from);
    this.parts.strong.departed(from);
    const keys = this.parts.pending.removeWriter(from);
    if (keys.length > 0) this.parts.listener.onStrongWrite(keys);
  }

  private onInvalidate(body: Record<string, unknown>): void {
    const { metrics } = this.parts;
    const keys = stringArray(body.keys);
    if (keys === undefined) return metrics.busDropped('malformed');
    if (typeof body.ts === 'number') this.parts.clock.observe(body.ts);
    if (typeof body.at === 'number') metrics.busLag(Date.now() - body.at);
    metrics.invalidationsReceived(keys.length);
    this.parts.listener.onRemoteInvalidate(keys, stringArray(body.drop) ?? []);
  }

  private onPrepare(from: string, body: Record<string, unknown>): void {
    const { metrics } = this.parts;
    const keys = stringArray(body.keys);
    if (keys === undefined || !isWriteId(body.id) || !isTtl(body.ttl)) return metrics.busDropped('malformed');
    const deadline = performance.now() + body.ttl;
    for (const key of keys) this.parts.pending.add(key, `${from}#${body.id}`, deadline);
    metrics.invalidationsReceived(keys.length);
    // Evicted (and marked pending) before the acknowledgement leaves: the writer persists on it.
    this.parts.listener.onStrongWrite(keys);
    // To the writer's reply channel when it named one (older writers: to everyone).
    void this.parts.send(MessageKind.Ack, { id: body.id, to: from }, this.parts.replies.channelFor(body.r));
  }

  /** A commit or an abort: the write's pending marks go. */
  private onSettled(from: string, body: Record<string, unknown>): void {
    const keys = stringArray(body.keys);
    if (keys === undefined || !isWriteId(body.id)) return this.parts.metrics.busDropped('malformed');
    for (const key of keys) this.parts.pending.remove(key, `${from}#${body.id}`);
    this.parts.listener.onStrongWrite(keys);
  }

  private onOwnMessage(message: BusMessage): void {
    if (message.kind === MessageKind.Heartbeat) {
      this.parts.liveness.onOwnHeartbeat(message.seq);
    } else if (message.kind === MessageKind.Prepare) {
      const body = message.body as { id?: unknown } | null;
      if (isWriteId(body?.id)) this.parts.strong.echoed(body.id);
    }
  }

  /** Writes in progress a writer's heartbeat lists: a node that missed their prepare learns of them here. */
  private onListedWrites(from: string, listed: unknown): void {
    if (!Array.isArray(listed) || listed.length > MAX_LISTED_WRITES) return;
    const now = performance.now();
    const fresh: string[] = [];
    for (const entry of listed) {
      if (!Array.isArray(entry) || !isWriteId(entry[0]) || typeof entry[1] !== 'string' || !isTtl(entry[2])) continue;
      if (this.parts.pending.add(entry[1], `${from}#${entry[0]}`, now + entry[2])) fresh.push(entry[1]);
    }
    if (fresh.length > 0) this.parts.listener.onStrongWrite(fresh);
  }
}
