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
