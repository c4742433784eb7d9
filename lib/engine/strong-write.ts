import type { Envelope } from '../common/envelope.js';
import { LockLostError, QuorumNotReachedError } from '../common/warp.errors.js';
import type { LockHandle } from '../lock/locker.interface.js';
import { toFence } from '../store/fence.js';
import type { EngineContext } from './engine-context.js';

/** What one write does once its key is locked (and, for StrongDistributed, prepared). */
export interface WriteBody<R> {
  /** Persists (or runs the decorated method) and returns what the caches must hold afterwards. */
  run(fence: bigint | undefined, assertHeld: () => void): Promise<{ result: R; entry?: Envelope }>;
  /** TTL of the cached entry. */
  ttl: number;
  /** The write removes the key (peers also forget fail-safe values). */
  drops: boolean;
}

/**
 * StrongDistributed: the key's write lock (fencing token), prepare (every member evicted and
 * marks the key pending), persist, tiers, commit. Fails before persisting → abort, nothing changed.
 */
export async function writeStrong<R>(context: EngineContext, key: string, body: WriteBody<R>, recorded: (entry: Envelope | undefined) => void): Promise<R> {
  const lockTtl = context.options.writeLockTtl;
  if (context.cluster.busDown) {
    // Known cut off: fail now rather than wait for a lock and a prepare that cannot succeed.
    throw new QuorumNotReachedError(
      `StrongDistributed write of "${key}" was not started: this node has lost contact with the bus. Nothing was written; retry when the cluster is reachable.`,
      { key },
    );
  }
  // Contended writers queue for up to one lock lifetime: a holder finishes (or loses the lock) by then.
  const lock = await context.locks.acquire(`${context.namespace}:write:${key}`, { ttl: lockTtl, waitTimeout: lockTtl });
  try {
    const preparing = context.cluster.prepare([key], lockTtl);
    // While peers evict, drop the shared copy a reader could still meet after the commit (a
    // deletion is always safe, so it need not wait for the prepare to succeed).
    const dropping = context.tiers.drop(key);
    const prepared = await preparing.finally(() => dropping);
    let outcome: { result: R; entry?: Envelope };
    try {
      outcome = await body.run(toFence(lock.fencingToken), () => assertHeld(lock, key));
    } catch (error) {
      prepared.abort();
      throw error;
    }
    const lost = lock.lost;
    // Persisted, then stalled past the lock: a newer writer may have written the key since.
    // The write took effect (it is not reported failed); the tiers are left to the newer one.
    // Either way the shared tier is settled (written or emptied) before the commit goes out:
    // peers read it again from then on (settleStrong is never skipped while the shared tier is).
    const settled = await context.tiers.settleStrong(key, lost ? undefined : outcome.entry, body.ttl);
    if (lost) context.logger.warn(`Warp: StrongDistributed write of "${key}" lost its lock after persisting; its value was not cached`);
    recorded(outcome.entry);
    if (settled) {
      prepared.commit();
    } else {
      // The shared copy may be older than the store: no commit, so every peer keeps reading
      // through until its pending mark expires and then drops every copy (an orphaned write).
      prepared.abandon();
      context.logger.warn(`Warp: StrongDistributed write of "${key}" could not update or delete the shared cache copy; peers read through until the write lock's TTL`);
    }
    return outcome.result;
  } finally {
    // Not awaited: the write is complete, and this node's next write of the key queues behind
    // the release on the same connection anyway. Saves a round trip per strong write.
    lock.release().catch((error: unknown) => context.logger.warn(`Warp: releasing the write lock of "${key}": ${String(error)}`));
  }
}

function assertHeld(lock: LockHandle, key: string): void {
  if (lock.lost) {
    throw new LockLostError(`StrongDistributed write of "${key}" lost its write lock before persisting (a stall longer than its TTL?); nothing was written`, {
      key,
    });
  }
}
