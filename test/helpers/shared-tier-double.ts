import { MemoryCache } from '../../lib/cache/memory.cache.js';
import type { Envelope } from '../../lib/common/envelope.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One shared tier (L2) for every node of a test, like a RedisCache, with the failures a Redis
 * connection shows: reads of `failing` keys reject (a timed-out command); with `failSets` writes
 * reject (an OOM reply); with `readOnly` writes and deletes reject; SETs take effect at once (in
 * order, as on one connection) but are acknowledged `setAckDelayMs` later; deletes land
 * `deleteDelayMs` after they are issued (RedisCache batches them; a busy connection answers later).
 */
export class SharedTierDouble extends MemoryCache {
  readonly failing = new Set<string>();
  failSets = false;
  readOnly = false;
  setAckDelayMs = 0;
  deleteDelayMs = 0;

  override get(key: string): Promise<Envelope | undefined> {
    return this.failing.has(key) ? Promise.reject(new Error('L2 command timed out')) : super.get(key);
  }

  override async set(key: string, entry: Envelope, ttlMs?: number): Promise<void> {
    if (this.readOnly) throw new Error('L2 write failed');
    if (this.failSets) throw new Error('OOM command not allowed');
    await super.set(key, entry, ttlMs);
    if (this.setAckDelayMs > 0) await sleep(this.setAckDelayMs);
  }

  override async delete(key: string): Promise<void> {
    if (this.readOnly) throw new Error('L2 delete failed');
    if (this.deleteDelayMs > 0) await sleep(this.deleteDelayMs);
    return super.delete(key);
  }
}
