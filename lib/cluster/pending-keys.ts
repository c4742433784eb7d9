/**
 * Keys with a StrongDistributed write in progress somewhere in the cluster, as this node learned
 * from prepares (and from writers' heartbeats, which list their writes in progress). A read of a
 * pending key bypasses the cache tiers and fills nothing. A write's mark ends at its commit or
 * abort, or, if its writer died, at its deadline (the write lock's TTL after the last news of it).
 */
export class PendingKeys {
  /** key → write ref (`writer member id#write id`) → deadline (monotonic ms). */
  private readonly writes = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Marks `key` pending for write `ref` until `deadline`; true when the mark is new. */
  add(key: string, ref: string, deadline: number): boolean {
    let refs = this.writes.get(key);
    if (refs === undefined) this.writes.set(key, (refs = new Map()));
    const fresh = !refs.has(ref);
    refs.set(ref, Math.max(deadline, refs.get(ref) ?? 0));
    return fresh;
  }

  /** Ends write `ref`'s mark on `key`. */
  remove(key: string, ref: string): void {
    const refs = this.writes.get(key);
    if (refs === undefined) return;
    refs.delete(ref);
    if (refs.size === 0) this.writes.delete(key);
  }

  /** Ends every mark of a writer (it said goodbye). Returns the keys that were pending for it. */
  removeWriter(writer: string): string[] {
    const keys: string[] = [];
    const prefix = `${writer}#`;
    for (const [key, refs] of this.writes) {
      for (const ref of refs.keys()) {
        if (ref.startsWith(prefix)) {
          refs.delete(ref);
          keys.push(key);
        }
      }
      if (refs.size === 0) this.writes.delete(key);
    }
    return keys;
  }

  /** Whether a write of `key` is in progress: the hot-path check of strong reads (one Map lookup when none is). */
  has(key: string): boolean {
    const refs = this.writes.get(key);
    if (refs === undefined) return false;
    const now = this.now();
    for (const deadline of refs.values()) if (deadline > now) return true;
    return false;
  }

  /** Removes marks past their deadline and returns their keys: writes whose writer went silent. */
  expire(): string[] {
    const now = this.now();
    const orphaned: string[] = [];
    for (const [key, refs] of this.writes) {
      for (const [ref, deadline] of refs) {
        if (deadline <= now) {
          refs.delete(ref);
          orphaned.push(key);
        }
      }
      if (refs.size === 0) this.writes.delete(key);
    }
    return orphaned;
  }

  /** Drops every mark (shutdown). */
  clear(): void {
    this.writes.clear();
  }
}
