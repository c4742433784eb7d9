import { randomBytes } from 'node:crypto';
import type { WarpBus } from '../bus/bus.interface.js';
import type { BusMessage, BusProtocol } from './bus-protocol.js';

/** What a prepare may name as its reply token (`r`): one channel-name segment. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface AckRepliesOptions {
  bus: WarpBus;
  protocol: BusProtocol;
  /** Name of the cluster channel (`protocol.channel(name)`); reply channels hang below it. */
  channelName: string;
  /** Acknowledgements sent longer ago than this (ms, the sender's wall clock against ours) are dropped. */
  freshnessMs: number;
  /** An acknowledgement addressed to this node's reply channel, decoded and fresh. */
  onAck(message: BusMessage): void;
  /** A payload dropped: a `DropReason` of the protocol, or `stale` (outside the freshness window). */
  onDropped(reason: string): void;
}

/**
 * Direct replies for StrongDistributed acknowledgements. A writer subscribes one reply channel of
 * its own and names its token in every prepare (`r`); a member publishes its acknowledgement there
 * instead of on the cluster channel, so only the writer decodes it: N-1 decodes per write instead
 * of N x (N-1) when every member decoded every acknowledgement. A member of an older version
 * ignores `r` and broadcasts its acknowledgement, which the writer still accepts.
 *
 * Acknowledgements on the reply channel do not pass the peer table's sequence check (two channels
 * share no order): an acknowledgement is idempotent, names one prepare of one writer incarnation
 * (ids are never reused) and only counts while that prepare waits, so a replay adds nothing. The
 * signature (with a secret), the namespace and the freshness window are checked as on the cluster
 * channel.
 */
export class AckReplies {
  /** Names this node's reply channel in its prepares. */
  readonly token = randomBytes(8).toString('hex');
  private unsubscribe?: () => Promise<void>;

  constructor(private readonly options: AckRepliesOptions) {}

  /** The reply channel a prepare's `r` names, or `undefined` when it names none (or an invalid one). */
  channelFor(token: unknown): string | undefined {
    return typeof token === 'string' && TOKEN_PATTERN.test(token) ? this.channelOf(token) : undefined;
  }

  /** Subscribes this node's reply channel: before the first prepare names it. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.bus.subscribe(this.channelOf(this.token), (payload) => this.receive(payload));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  private channelOf(token: string): string {
    return this.options.protocol.channel(`${this.options.channelName}.r.${token}`);
  }

  private receive(payload: Uint8Array): void {
    const decoded = this.options.protocol.decode(payload);
    if (!decoded.ok) {
      if (decoded.reason !== 'own') this.options.onDropped(decoded.reason);
      return;
    }
    const { message } = decoded;
    if (Math.abs(Date.now() - message.at) > this.options.freshnessMs) return this.options.onDropped('stale');
    this.options.onAck(message);
  }
}
