// In-process benchmarks: Warp's L1 paths against what users would pick instead, measured in the
// same process and run, plus a @WarpKey decorated hit against WarpService.get in a Nest context.
// With `--compare-build <dir>` the other build's Warp runs beside this one, in the same process.
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache } from 'cache-manager';
import { LRUCache } from 'lru-cache';
import { Mode, Warp, WarpKey, WarpModule, WarpService } from '../lib/index.js';
import { compareBuild } from './cluster.js';
import type { WarpLib } from './fixtures/warp-lib.js';
import { measureOp, progress, ratio, rowOf, type BenchConfig, type Row, type Section, type Verdict } from './harness.js';

const KEY = 'bench:1';
const VALUE = { id: 1, name: 'Ada', roles: ['admin'] };
const load = () => VALUE;

/** The contenders, each behind the same four operations. */
interface Contender {
  name: string;
  get(key: string): unknown;
  getOrSet(key: string): unknown;
  /** Drops the key then loads it again through getOrSet. */
  missLoad(key: string): unknown;
  set(key: string): unknown;
}

function mapContender(): Contender {
  const map = new Map<string, unknown>();
  return {
    name: 'Map (sync floor)',
    get: (key) => map.get(key),
    getOrSet: (key) => map.get(key) ?? (map.set(key, load()), VALUE),
    missLoad: (key) => {
      map.delete(key);
      return map.get(key) ?? (map.set(key, load()), VALUE);
    },
    set: (key) => map.set(key, VALUE),
  };
}

function asyncMapContender(): Contender {
  const map = new Map<string, unknown>();
  const getOrSet = async (key: string) => map.get(key) ?? (map.set(key, await load()), VALUE);
  return {
    name: 'async Map (Promise floor)',
    get: async (key) => map.get(key),
    getOrSet,
    missLoad: async (key) => {
      map.delete(key);
      return getOrSet(key);
    },
    set: async (key) => void map.set(key, VALUE),
  };
}

function lruContender(): Contender {
  const lru = new LRUCache<string, object>({ max: 10_000 });
  const getOrSet = (key: string) => lru.get(key) ?? (lru.set(key, load()), VALUE);
  return {
    name: 'lru-cache 11 (sync)',
    get: (key) => lru.get(key),
    getOrSet,
    missLoad: (key) => {
      lru.delete(key);
      return getOrSet(key);
    },
    set: (key) => lru.set(key, VALUE),
  };
}

function bentoContender(): Contender & { close(): Promise<void> } {
  const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } });
  return {
    name: 'bentocache 1.6 (memory)',
    get: (key) => bento.get({ key }),
    getOrSet: (key) => bento.getOrSet({ key, factory: load }),
    missLoad: async (key) => {
      await bento.delete({ key });
      return bento.getOrSet({ key, factory: load });
    },
    set: (key) => bento.set({ key, value: VALUE }),
    close: () => bento.disconnectAll(),
  };
}

function cacheManagerContender(): Contender & { close(): Promise<void> } {
  const cache = createCache();
  return {
    name: 'cache-manager 7 (memory)',
    get: (key) => cache.get(key),
    getOrSet: (key) => cache.wrap(key, load),
    missLoad: async (key) => {
      await cache.del(key);
      return cache.wrap(key, load);
    },
    set: (key) => cache.set(key, VALUE),
    close: () => cache.disconnect().then(() => undefined),
  };
}

/** Warp behind the contender operations; `label` names a compare build (this build: none). */
function warpContender(warp: Warp, mode: Mode, prefix: string, label = ''): Contender {
  const name = `${mode === Mode.StrongLocal ? 'Warp (StrongLocal)' : 'Warp (EventualDistributed)'}${label}`;
  // One key string built once, as every other contender gets: a key concatenated per call is a
  // new string each time, hashed again by every Map it meets, which measures the bench, not Warp.
  const benchKey = prefix + KEY;
  const prefixed = (key: string): string => (key === KEY ? benchKey : prefix + key);
  return {
    name,
    get: (key) => warp.get(prefixed(key)),
    getOrSet: (key) => warp.getOrSet(prefixed(key), load),
    missLoad: async (key) => {
      await warp.invalidate(prefixed(key));
      return warp.getOrSet(prefixed(key), load);
    },
    set: (key) => warp.set(prefixed(key), VALUE),
  };
}

/** A started Warp of the same configuration from `lib` (this build's or a compare build's). */
async function startWarp(lib: Pick<WarpLib, 'Warp' | 'Mode'>): Promise<Warp> {
  const warp = new lib.Warp({
    nodeId: 'bench-local',
    namespace: 'bench-local',
    keys: [
      { key: 'ev:*', mode: lib.Mode.EventualDistributed },
      { key: 'sl:*', mode: lib.Mode.StrongLocal },
    ],
  });
  await warp.start();
  return warp as Warp;
}

/** The compare build's Warp contenders, loaded into this process, or none without `--compare-build`. */
async function compareContenders(config: BenchConfig): Promise<{ contenders: Contender[]; warp?: Warp }> {
  if (config.compareBuild === undefined) return { contenders: [] };
  const build = compareBuild(config.compareBuild);
  const lib = (await import(pathToFileURL(build.entry).href)) as WarpLib;
  const warp = await startWarp(lib);
  const label = ` [${build.label}]`;
  return { contenders: [warpContender(warp, Mode.StrongLocal, 'sl:', label), warpContender(warp, Mode.EventualDistributed, 'ev:', label)], warp };
}

@Injectable()
class CatalogService {
  @WarpKey('dec:{0}', Mode.EventualDistributed)
  async find(id: string): Promise<object> {
    return { id };
  }
}

@Module({
  imports: [WarpModule.forRoot({ nodeId: 'bench-local', namespace: 'bench-local' })],
  providers: [CatalogService],
})
class DecoratedBenchModule {}

const OPS = [
  ['L1 hit: get', 'get'],
  ['getOrSet: hit', 'getOrSet'],
  ['miss + load (delete, then getOrSet)', 'missLoad'],
  ['set', 'set'],
] as const;

/** Runs the local sections; returns them with the verdicts of the local targets. */
export async function runLocalBenchmarks(config: BenchConfig): Promise<{ sections: Section[]; verdicts: Verdict[] }> {
  const warp = await startWarp({ Warp, Mode });
  const compared = await compareContenders(config);
  const bento = bentoContender();
  const cacheManager = cacheManagerContender();
  const contenders: Contender[] = [
    mapContender(),
    asyncMapContender(),
    lruContender(),
    bento,
    cacheManager,
    warpContender(warp, Mode.StrongLocal, 'sl:'),
    warpContender(warp, Mode.EventualDistributed, 'ev:'),
    ...compared.contenders,
  ];
  const sections: Section[] = [];
  try {
    for (const [title, op] of OPS) {
      progress(title);
      const rows: Row[] = [];
      for (const contender of contenders) {
        // Every contender starts each case with the key cached, so hits are hits.
        await contender.set(KEY);
        rows.push(await measureOp(contender.name, () => contender[op](KEY), config));
      }
      const floor = rowOf(rows, 'async Map (Promise floor)').opsPerSec;
      for (const row of rows) row.note = `${ratio(row.opsPerSec, floor)} of async Map`;
      sections.push({ title, unit: 'ns', rows });
    }
    sections.push(await decoratedSection(config));
  } finally {
    await Promise.allSettled([warp.close(), compared.warp?.close(), bento.close(), cacheManager.close()]);
  }
  return { sections, verdicts: localVerdicts(sections) };
}

async function decoratedSection(config: BenchConfig): Promise<Section> {
  const app = await NestFactory.createApplicationContext(DecoratedBenchModule, { logger: false });
  await app.init();
  try {
    const catalog = app.get(CatalogService);
    const service = app.get(WarpService);
    await catalog.find('1');
    const direct = await measureOp('WarpService.get (hit)', () => service.get('dec:1'), config);
    const decorated = await measureOp('@WarpKey method (hit)', () => catalog.find('1'), config);
    decorated.note = `${ratio(direct.opsPerSec, decorated.opsPerSec)} the cost of WarpService.get`;
    return { title: '@WarpKey decorated hit vs WarpService.get (Nest application context)', unit: 'ns', rows: [direct, decorated] };
  } finally {
    await app.close();
  }
}

function localVerdicts(sections: readonly Section[]): Verdict[] {
  const [gets, , , sets, decorated] = sections.map((s) => s.rows);
  const ops = (rows: Row[], name: string) => rowOf(rows, name).opsPerSec ?? NaN;
  const warpGet = ops(gets, 'Warp (EventualDistributed)');
  const asyncFloor = ops(gets, 'async Map (Promise floor)');
  const cmGet = ops(gets, 'cache-manager 7 (memory)');
  const warpSet = ops(sets, 'Warp (StrongLocal)');
  const cmSet = ops(sets, 'cache-manager 7 (memory)');
  const direct = ops(decorated, 'WarpService.get (hit)');
  const viaDecorator = ops(decorated, '@WarpKey method (hit)');
  const verdicts: Verdict[] = [
    { target: 'L1 hit get >= 50% of async Map', measured: `${ratio(warpGet, asyncFloor)}`, met: warpGet >= 0.5 * asyncFloor },
    { target: 'L1 hit get >= 0.8x async Map (issue 14)', measured: `${ratio(warpGet, asyncFloor)}`, met: warpGet >= 0.8 * asyncFloor },
    { target: 'L1 hit get >= 2x cache-manager', measured: `${ratio(warpGet, cmGet)}`, met: warpGet >= 2 * cmGet },
    { target: 'set (memory store) >= cache-manager set', measured: `${ratio(warpSet, cmSet)}`, met: warpSet >= cmSet },
    { target: 'set (memory store) >= 1.5x cache-manager set (issue 14)', measured: `${ratio(warpSet, cmSet)}`, met: warpSet >= 1.5 * cmSet },
    {
      target: 'decorated hit <= 1.5x WarpService.get cost',
      measured: `${ratio(direct, viaDecorator)}`,
      met: direct / viaDecorator <= 1.5,
    },
  ];
  // With --compare-build: the same two cases for the other build, measured in this run (no target).
  const before = (rows: Row[], name: string) => rows.find((row) => row.name.startsWith(`${name} [`));
  const otherGet = before(gets, 'Warp (EventualDistributed)');
  const otherSet = before(sets, 'Warp (StrongLocal)');
  if (otherGet !== undefined && otherSet !== undefined) {
    const label = otherGet.name.slice(otherGet.name.indexOf('['));
    verdicts.push(
      { target: `L1 hit get, ${label}`, measured: `${ratio(otherGet.opsPerSec, asyncFloor)} of async Map; this build ${ratio(warpGet, otherGet.opsPerSec)} of it`, met: 'n/a' },
      { target: `set (memory store), ${label}`, measured: `${ratio(otherSet.opsPerSec, cmSet)} of cache-manager; this build ${ratio(warpSet, otherSet.opsPerSec)} of it`, met: 'n/a' },
    );
  }
  return verdicts;
}
