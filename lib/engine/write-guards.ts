/** One local write of a key in flight; `overtaken` once a peer's invalidation of the key arrived meanwhile. */
export interface WriteTicket {
  overtaken: boolean;
}

/**
 * Local writes in flight per key. A peer's invalidation that arrives while this node's write of the
 * same key awaits its store means a newer write exists: the local write must not install its value
 * in the cache tiers afterwards (the EventualDistributed race where the writer would serve its
 * own, already overwritten value until the TTL).
 */
export class WritesInFlight {
  private readonly tickets = new Map<string, Set<WriteTicket>>();

  begin(key: string): WriteTicket {
    const ticket: WriteTicket = { overtaken: false };
    let set = this.tickets.get(key);
    if (set === undefined) this.tickets.set(key, (set = new Set()));
    set.add(ticket);
    return ticket;
  }

  end(key: string, ticket: WriteTicket): void {
    const set = this.tickets.get(key);
    if (set === undefined) return;
    set.delete(ticket);
    if (set.size === 0) this.tickets.delete(key);
  }

  /** A peer invalidated `key`: every local write of it in flight is overtaken. */
  overtake(key: string): void {
    const set = this.tickets.get(key);
    if (set !== undefined) for (const ticket of set) ticket.overtaken = true;
  }
}

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
