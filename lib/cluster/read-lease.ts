/** Heartbeats remembered while their echo is awaited; older ones can no longer extend the lease. */
const MAX_UNECHOED = 64;

/**
 * This node's read lease: it may serve StrongDistributed keys from its local tier only while the
 * lease holds. The lease runs `leaseMs` from the moment the node *sent* a heartbeat whose echo it
 * has since received, on the monotonic clock. A writer that misses this node's acknowledgement
 * waits `leaseMs` after its own prepare echoed: by then, if this node never saw the prepare, its
 * lease (granted by a heartbeat sent before the prepare crossed the bus) has run out.
 *
 * A lease that lapsed means this node may have missed prepares and invalidations: `echoed`
 * reports it, so the caller drops distributed keys from its local tier before serving again.
 */
export class ReadLease {
  private readonly sentAt = new Map<number, number>();
  private validUntil = -Infinity;

  constructor(
    private readonly leaseMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the send time of heartbeat `seq` (taken before it was published). */
  sent(seq: number, at: number): void {
    this.sentAt.set(seq, at);
    if (this.sentAt.size > MAX_UNECHOED) this.sentAt.delete(this.sentAt.keys().next().value!);
  }

  /**
   * Heartbeat `seq` came back: the lease extends to its send time plus `leaseMs`. Returns
   * `'lapsed'` when the lease had run out before this renewal (the caller must drop what it may
   * have missed), `'renewed'` when it still held, `'unknown'` for an echo of no recorded heartbeat.
   */
  echoed(seq: number): 'renewed' | 'lapsed' | 'unknown' {
    const at = this.sentAt.get(seq);
    if (at === undefined) return 'unknown';
    // Earlier heartbeats can no longer extend past this one.
    for (const earlier of this.sentAt.keys()) {
      this.sentAt.delete(earlier);
      if (earlier === seq) break;
    }
    const lapsed = this.now() >= this.validUntil;
    this.validUntil = Math.max(this.validUntil, at + this.leaseMs);
    return lapsed ? 'lapsed' : 'renewed';
  }

  /** Whether the lease holds now. */
  get valid(): boolean {
    return this.now() < this.validUntil;
  }

  /** Ends the lease at once (the transport dropped): nothing earlier may extend it again. */
  revoke(): void {
    this.validUntil = -Infinity;
    this.sentAt.clear();
  }
}
