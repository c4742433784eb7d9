import type { BusMessage } from './bus-protocol.js';

/** What the table decided about one incoming message. */
export type Admission =
  /** From a member already known: deliver it. */
  | 'known'
  /** The first message of a member (a new process, or a restart: a new incarnation): deliver it. */
  | 'new'
  /** Its sequence number is not newer than one already seen from its incarnation: a replay or duplicate. */
  | 'replay'
  /** Its send time is outside the freshness window: a replay of an old capture (or a badly skewed clock). */
  | 'stale'
  /** Its incarnation said goodbye: nothing it "sends" now is genuine. */
  | 'departed'
  /** The table is full (a flood of forged ids): the message is dropped. */
  | 'full';

/** One process of the cluster: a node id and the incarnation it started with. */
export interface Member {
  /** `nodeId/incarnation`: what acknowledgements are addressed to. */
  readonly id: string;
  readonly nodeId: string;
  readonly incarnation: string;
  lastSeq: number;
  /** Monotonic ms of the last message received from it. */
  lastSeen: number;
  departed: boolean;
}

export interface PeerTableOptions {
  /** A member silent for longer than this (ms) is not live. */
  liveWindowMs: number;
  /** Messages sent longer ago than this (ms, the sender's wall clock against ours) are dropped. */
  freshnessMs: number;
  /** Most members remembered, live or recently gone. */
  maxMembers: number;
  /** Monotonic clock (ms). */
  now?: () => number;
  /** Wall clock (epoch ms), to check send times. */
  wallNow?: () => number;
}

/** The id acknowledgements are addressed to. */
export function memberId(nodeId: string, incarnation: string): string {
  return `${nodeId}/${incarnation}`;
}

/**
 * Membership and replay protection. Members are incarnations (a node id plus a random id per
 * process start), so a restarted node is a newcomer and a replayed message of an earlier
 * incarnation cannot pass for a current one. A message is delivered only when it is fresh (sent
 * within the freshness window), its sequence number is newer than any seen from its incarnation,
 * and its incarnation did not say goodbye. Records outlive silence by the freshness window, so a
 * replay is either caught by its sequence number or too old. The table is bounded.
 */
export class PeerTable {
  private readonly members = new Map<string, Member>();
  private readonly now: () => number;
  private readonly wallNow: () => number;

  constructor(private readonly options: PeerTableOptions) {
    this.now = options.now ?? (() => performance.now());
    this.wallNow = options.wallNow ?? Date.now;
  }

  /** Checks one message and records its sender. */
  admit(message: BusMessage): Admission {
    if (Math.abs(this.wallNow() - message.at) > this.options.freshnessMs) return 'stale';
    const id = memberId(message.from, message.inc);
    const member = this.members.get(id);
    if (member !== undefined) {
      if (member.departed) return 'departed';
      if (message.seq <= member.lastSeq) return 'replay';
      member.lastSeq = message.seq;
      member.lastSeen = this.now();
      return 'known';
    }
    if (this.members.size >= this.options.maxMembers) {
      this.prune();
      if (this.members.size >= this.options.maxMembers) return 'full';
    }
    this.members.set(id, { id, nodeId: message.from, incarnation: message.inc, lastSeq: message.seq, lastSeen: this.now(), departed: false });
    return 'new';
  }

  /** Marks a member gone for good (its `bye`); its record stays to refuse replays. */
  depart(id: string): void {
    const member = this.members.get(id);
    if (member !== undefined) member.departed = true;
  }

  /** Ids (`nodeId/incarnation`) of the live members. Reading never changes the table. */
  liveMembers(): string[] {
    const now = this.now();
    const live: string[] = [];
    for (const member of this.members.values()) if (this.live(member, now)) live.push(member.id);
    return live;
  }

  /** Node ids of the live members, sorted, each once. */
  liveNodeIds(): string[] {
    const now = this.now();
    const ids = new Set<string>();
    for (const member of this.members.values()) if (this.live(member, now)) ids.add(member.nodeId);
    return [...ids].sort();
  }

  /** Node ids that more than one live incarnation uses (`self` counts as one of them). */
  duplicateNodeIds(self: { nodeId: string }): string[] {
    const now = this.now();
    const count = new Map<string, number>([[self.nodeId, 1]]);
    for (const member of this.members.values()) {
      if (this.live(member, now)) count.set(member.nodeId, (count.get(member.nodeId) ?? 0) + 1);
    }
    return [...count].filter(([, n]) => n > 1).map(([nodeId]) => nodeId);
  }

  /** Forgets members silent for longer than twice the freshness window: their replays are stale by now. */
  prune(): void {
    const cutoff = this.now() - 2 * this.options.freshnessMs;
    for (const [id, member] of this.members) if (member.lastSeen < cutoff) this.members.delete(id);
  }

  private live(member: Member, now: number): boolean {
    return !member.departed && now - member.lastSeen <= this.options.liveWindowMs;
  }
}
