import type { ClusterListener } from '../cluster/cluster.js';
import { Mode } from '../common/mode.js';
import type { KeyRegistry } from '../common/registry.js';
import type { LastKnownValues } from './fail-safe.js';
import type { Tiers } from './tiers.js';

/**
 * Keeps this node's local tier, and its fail-safe values, coherent with what the cluster reports:
 * a peer's invalidation evicts (never writes), a strong write's keys are evicted at each step,
 * orphaned writes drop every copy, and missed invalidations clear every distributed key.
 */
export class LocalCoherence implements ClusterListener {
  constructor(
    private readonly tiers: Tiers,
    private readonly registry: KeyRegistry,
    private readonly lastKnown: LastKnownValues | undefined,
    /** Marks this node's own writes of `keys` in flight as overtaken by a peer's newer write. */
    private readonly overtake: (keys: readonly string[]) => void,
  ) {}

  onRemoteInvalidate(keys: string[], dropped: readonly string[]): void {
    this.overtake(keys);
    this.tiers.overtakenByPeer(keys);
    this.forgetLastKnown(dropped);
  }

  onStrongWrite(keys: readonly string[]): void {
    this.tiers.evictLocal(keys);
  }

  onOrphanedWrites(keys: readonly string[]): void {
    // Its writer may have persisted without updating the shared tier: drop every copy.
    for (const key of keys) void this.tiers.drop(key);
  }

  onPossiblyMissedInvalidations(): void {
    // Loads in flight may have read what a missed invalidation replaced: they must not fill.
    this.tiers.clearLocal((key: string) => {
      const registration = this.registry.resolve(key);
      return registration === undefined || registration.mode !== Mode.StrongLocal;
    });
  }

  /** A revoked lease's keys: evicted here, and not served again as fail-safe answers either. */
  evictRevoked(keys: readonly string[]): void {
    this.tiers.evictLocal(keys);
    this.forgetLastKnown(keys);
  }

  /** Drops keys from every cache tier of this node without telling peers (a lease expiry seen here). */
  async dropHere(keys: readonly string[]): Promise<void> {
    this.forgetLastKnown(keys);
    await Promise.all(keys.map((key) => this.tiers.drop(key)));
  }

  /**
   * A peer's write leaves the last known value as a fail-safe answer (stale within `grace`, the
   * point of fail-safe); an explicit invalidation or a lease revocation removes it.
   */
  private forgetLastKnown(keys: readonly string[]): void {
    if (this.lastKnown === undefined) return;
    for (const key of keys) this.lastKnown.forget(key);
  }
}
