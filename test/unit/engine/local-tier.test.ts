import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { WarpCache } from '../../../lib/cache/cache.interface.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import type { Envelope } from '../../../lib/common/envelope.js';
import { Mode } from '../../../lib/common/mode.js';
import { Warp } from '../../../lib/engine/warp.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';

/** A user's own node-local cache (no MemoryCache subclass): it delegates, and counts `get` calls. */
class OwnLocalCache implements WarpCache {
  readonly inner = new MemoryCache();
  gets = 0;
  constructor(readonly localOnly: boolean | undefined) {}
  get(key: string): Promise<Envelope | undefined> {
    this.gets++;
    return this.inner.get(key);
  }
  set(key: string, entry: Envelope, ttlMs?: number): Promise<void> {
    return this.inner.set(key, entry, ttlMs);
  }
  setIfAbsent(key: string, entry: Envelope, ttlMs?: number): Promise<boolean> {
    return this.inner.setIfAbsent(key, entry, ttlMs);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  clear(): Promise<void> {
    return this.inner.clear();
  }
  keys(): Promise<string[]> {
    return this.inner.keys();
  }
  peek(key: string): Envelope | undefined {
    return this.inner.peek(key);
  }
  evictLocal(keys: readonly string[]): void {
    this.inner.evictLocal(keys);
  }
  clearLocal(predicate?: (key: string) => boolean): void {
    this.inner.clearLocal(predicate);
  }
}

const opened: Warp[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((warp) => warp.close()));
});

async function readThrough(cache: OwnLocalCache): Promise<unknown> {
  const store = new MemoryStore();
  await store.set('item:1', 'from the store');
  const warp = new Warp({ cache, store, keys: [{ key: 'item:*', mode: Mode.StrongLocal }] });
  opened.push(warp);
  await warp.start();
  return warp.get('item:1');
}

describe('the local tier is told by the cache port, not by its class', () => {
  it('reads a custom cache that declares localOnly like MemoryCache: a peek miss goes to the store, not to cache.get', async () => {
    const cache = new OwnLocalCache(true);
    assert.equal(await readThrough(cache), 'from the store');
    assert.equal(cache.gets, 0);
  });

  it('treats a custom cache without localOnly as one that may have a shared tier: a peek miss asks cache.get first', async () => {
    const cache = new OwnLocalCache(undefined);
    assert.equal(await readThrough(cache), 'from the store');
    assert.ok(cache.gets > 0);
  });
});
