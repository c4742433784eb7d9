import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { MAX_TTL_MS } from '../../../lib/common/limits.js';
import { Mode } from '../../../lib/common/mode.js';
import { Warp } from '../../../lib/engine/warp.js';
import { resolveWarpOptions, WARP_OPTION_CHECKS } from '../../../lib/engine/warp-options.js';
import type { WarpOptions } from '../../../lib/interfaces/warp-options.interface.js';
import { MemoryLocker } from '../../../lib/lock/memory.locker.js';
import { MergeEngine } from '../../../lib/merge/merge.engine.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';

/** Asserts `options` fail with InvalidOptionsError whose message matches every pattern. */
function rejects(options: unknown, ...patterns: RegExp[]): void {
  assert.throws(
    () => resolveWarpOptions(options as WarpOptions),
    (error: unknown) => {
      assert.ok(error instanceof InvalidOptionsError, `expected InvalidOptionsError, got ${String(error)}`);
      for (const pattern of patterns) assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('Warp options: unknown names', () => {
  it('refuses a misspelt option and suggests the one it meant', () => {
    rejects({ publishTimeOut: 500 }, /Unknown Warp option "publishTimeOut"/, /did you mean "publishTimeout"\?/);
    rejects({ heartbeatIntervall: 500 }, /did you mean "heartbeatInterval"\?/);
  });

  it('refuses a top-level ttl, pointing at defaultTtl', () => {
    rejects({ ttl: 1000 }, /Unknown Warp option "ttl"/, /did you mean "defaultTtl"\?/);
  });

  it('lists the accepted names, which are the check table\'s keys', () => {
    rejects({ nope: 1 }, new RegExp(`accepted options are ${Object.keys(WARP_OPTION_CHECKS).join(', ')}$`));
    assert.ok(Object.keys(WARP_OPTION_CHECKS).includes('leaseMs'));
    assert.ok(Object.keys(WARP_OPTION_CHECKS).includes('writeLockTtl'));
  });

  it('refuses unknown fields of nested options, naming their path', () => {
    rejects({ versions: { maxVersion: 3 } }, /"versions\.maxVersion"/, /did you mean "versions\.maxVersions"\?/);
    rejects({ failSafe: { grace: 10, graceMs: 5 } }, /"failSafe\.graceMs"/);
    rejects({ keys: [{ key: 'a', mode: Mode.StrongLocal, tll: 5 }] }, /"keys\[0\]\.tll"/, /did you mean "keys\[0\]\.ttl"\?/);
  });
});

describe('Warp options: shapes', () => {
  it('refuses a cache that is not one, at construction instead of at the first set', () => {
    rejects({ cache: { host: '127.0.0.1', port: 6379 } }, /"cache": expected a WarpCache/, /get, set, delete, clear, keys/, /got an object \{ host, port \}/);
    assert.throws(() => new Warp({ cache: { get() {}, set() {} } as never }), /"cache".*delete, clear, keys missing/);
  });

  it('refuses a store, bus, locker, merge engine, logger or metrics sink without their methods', () => {
    rejects({ store: { get() {} } }, /"store": expected a WarpStore/, /set missing/);
    rejects({ bus: { host: 'localhost', port: 6379 } }, /"bus": expected a WarpBus/, /connect, publish, subscribe, onConnectionChange, close/);
    rejects({ locks: { acquire() {} } }, /"locks": expected a WarpLocker/, /close missing/);
    rejects({ merge: (a: number, b: number) => a + b }, /"merge": expected a MergeEngine/, /got a function/);
    rejects({ logger: { info() {} } }, /"logger": expected a logger \(an object with log, warn, error methods/, /got an object \{ info \}$/);
    rejects({ logger: { log() {} } }, /"logger"/, /warn, error missing/);
    rejects({ metrics: true }, /"metrics": expected a WarpMetrics sink/, /got true/);
  });

  it('refuses an optional port method that is present but not a function', () => {
    rejects({ store: { get() {}, set() {}, keys: ['a'] } }, /"store"/);
  });

  it('explains that transport options belong to WarpModule, not to new Warp()', () => {
    rejects({ bus: { transport: 1, options: { host: 'localhost' } } }, /"bus"/, /transport options \{ transport, options \} are for WarpModule\.forRoot/);
  });

  it('names the path of a bad registration field and the accepted values', () => {
    const keys = [
      { key: 'a', mode: Mode.StrongLocal },
      { key: 'b', mode: Mode.EventualDistributed },
      { key: 'c', mode: 'eventual' },
    ];
    rejects({ keys }, /"keys\[2\]\.mode": expected a Mode \(strong-local, eventual-distributed, strong-distributed\), got "eventual"/);
    rejects({ keys: [{ mode: Mode.StrongLocal }] }, /"keys\[0\]\.key"/);
    rejects({ keys: [{ key: 'a' }] }, /"keys\[0\]\.mode"/, /got undefined/);
    rejects({ keys: [{ key: 'a', mode: Mode.StrongLocal, merge: 'sum' }] }, /"keys\[0\]\.merge": expected a function/);
    rejects({ keys: ['a'] }, /"keys\[0\]": expected an object/);
  });

  it('checks required nested fields', () => {
    rejects({ validator: { mode: 'alert' } }, /"validator\.interval"/);
    rejects({ failSafe: {} }, /"failSafe\.grace"/);
  });

  it('accepts every backend and option Warp ships, with their defaults applied', () => {
    const resolved = resolveWarpOptions({
      nodeId: 'n1',
      namespace: 'ns',
      keys: [{ key: 'a:*', mode: Mode.StrongLocal, ttl: 5, merge: (a, b) => b }],
      cache: new MemoryCache({ sweepIntervalMs: 0 }),
      store: new MemoryStore(),
      bus: new MemoryBus(),
      merge: new MergeEngine(),
      locks: new MemoryLocker(),
      metrics: NOOP_METRICS,
      logger: console,
      publishTimeout: 100,
      quorum: 1,
      secret: 's',
      validator: { mode: 'noop', interval: 1000, batchSize: 10 },
      storeTimeout: 50,
      failSafe: { grace: 1000, maxEntries: 5 },
      defaultTtl: MAX_TTL_MS,
      warmupConcurrency: 2,
      invalidationDelay: 0,
      heartbeatInterval: 500,
      leaseMs: 1000,
      writeLockTtl: 5000,
      versions: {},
      watch: { bufferSize: 8 },
    });
    assert.equal(resolved.leaseMs, 1000);
    assert.equal(resolved.versions.maxVersions, 10);
  });
});

describe('Warp options: TTL bounds', () => {
  it('refuses a defaultTtl or a registration ttl above 2147483647 ms, naming the bound', () => {
    rejects({ defaultTtl: 1e20 }, /"defaultTtl": expected a number of ms from 0 \(no expiry\) to 2147483647/);
    rejects({ defaultTtl: MAX_TTL_MS + 1 }, /"defaultTtl"/);
    rejects({ keys: [{ key: 'k', mode: Mode.StrongLocal, ttl: 1e20 }] }, /"keys\[0\]\.ttl"/);
    rejects({ defaultTtl: Number.NaN }, /"defaultTtl"/);
  });
});
