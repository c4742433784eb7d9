/** How long a shared-tier write is remembered (ms): longer than any bus delay a message survives. */
const RECENT_SHARED_WRITE_MS = 10_000;
/** Most shared-tier writes remembered; the oldest go first. */
const MAX_RECENT_SHARED_WRITES = 50_000;

/**
 * EventualDistributed keys this node recently wrote or filled in the shared tier (L2). Such a
 * write may land after a peer's newer L2 write: when that peer's invalidation arrives, this node
 * deletes the key from L2, after its own command on the same connection, so L2 cannot keep an
 * overwritten value (peers' invalidations otherwise evict only the local tier).
 */
export class RecentSharedWrites {
  private readonly written = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(key: string): void {
    this.written.delete(key);
    this.written.set(key, this.now() + RECENT_SHARED_WRITE_MS);
    if (this.written.size > MAX_RECENT_SHARED_WRITES) this.written.delete(this.written.keys().next().value!);
  }

  /** Whether `key` was written recently; forgets it (the caller deletes it from L2 now). */
  take(key: string): boolean {
    const until = this.written.get(key);
    if (until === undefined) return false;
    this.written.delete(key);
    return until > this.now();
  }
}
