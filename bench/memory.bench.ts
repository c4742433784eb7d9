// Memory of cache-aside decorated reads: many distinct reads through a @WarpKey method of a Nest
// provider, on WarpModule.forRoot with a 1000-entry MemoryCache and the default store, must leave
// no more on the heap than the full cache holds, give or take a stated bound (a fill never writes
// the store). Each run is a fresh child process started with --expose-gc; heapUsed is read after
// full collections. With `--compare-build <dir>` the other build runs the same, alternating.
import { fileURLToPath } from 'node:url';
import { NodeProcess } from '../test/helpers/node-process.js';
import { compareBuild, ownBuild, type WarpBuild } from './cluster.js';
import type { MemoryReport } from './fixtures/memory-node.js';
import { WARP_LIB_ENV } from './fixtures/warp-lib.js';
import { progress, type BenchConfig, type Row, type Section, type Verdict } from './harness.js';

const MEMORY_NODE = fileURLToPath(new URL('./fixtures/memory-node.js', import.meta.url));
const ENTRY_MEMORY_NODE = fileURLToPath(new URL('./fixtures/entry-memory-node.js', import.meta.url));
/** Memory per entry: contenders, each filled in a fresh process; the first is the reference. */
const ENTRY_CONTENDERS = [
  ['map', 'Map (floor)'],
  ['lru', 'lru-cache 11'],
  ['bento', 'bentocache 1.6 (memory driver, getOrSet)'],
  ['warp', 'Warp (MemoryCache, getOrSet)'],
] as const;
/** Target: Warp's bytes per entry <= this many times a Map's. */
const ENTRY_TARGET = 2;
const CACHE_ENTRIES = 1000;
/** What may stay on the heap beyond the full cache after the reads. */
const BOUND_BYTES = 5 * 1024 * 1024;

function sizes(config: BenchConfig): { reads: number; rounds: number; checkpoints: number } {
  return config.quick ? { reads: 10_000, rounds: 1, checkpoints: 2 } : { reads: 100_000, rounds: 2, checkpoints: 20 };
}

const mb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** Runs `op` in a fresh `--expose-gc` child of `script` running `build`. */
async function inFreshProcess<T>(script: string, build: WarpBuild, env: Record<string, string>, op: string, ...args: unknown[]): Promise<T> {
  const node = await NodeProcess.start('memory', script, { [WARP_LIB_ENV]: build.entry, ...env }, 20_000, ['--expose-gc']);
  try {
    return await node.call<T>(op, ...args);
  } finally {
    await node.stop();
  }
}

function measure(build: WarpBuild, reads: number, checkpoints: number): Promise<MemoryReport> {
  return inFreshProcess(MEMORY_NODE, build, { BENCH_CACHE_ENTRIES: String(CACHE_ENTRIES) }, 'run', reads, checkpoints);
}

/**
 * Bytes per entry of `entries` small `{ id, name, price }` values in each contender, every one in a
 * fresh process, heap after full GC (the values and keys themselves included: all hold the same).
 * Two rounds; the smaller figure of each contender counts (a late collection only adds).
 */
async function measureEntries(config: BenchConfig): Promise<{ section: Section; verdict?: Verdict }> {
  // Four fresh processes: kept out of the smoke test's quick run unless the suite is named.
  if (config.quick && !config.only?.includes('memory')) {
    return { section: { title: 'Memory per entry: skipped in --quick runs (name it: --only memory)', unit: 'ms', rows: [] } };
  }
  const entries = config.quick ? 10_000 : 100_000;
  const rounds = config.quick ? 1 : 2;
  const build = ownBuild();
  const perEntry = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name] of ENTRY_CONTENDERS) {
      progress(`memory per entry, ${name}, run ${round + 1}/${rounds}`);
      const { before, after } = await inFreshProcess<{ before: number; after: number }>(ENTRY_MEMORY_NODE, build, {}, 'run', name, entries);
      perEntry.set(name, [...(perEntry.get(name) ?? []), (after - before) / entries]);
    }
  }
  const best = (name: string) => Math.min(...perEntry.get(name)!);
  const floor = best('map');
  const rows: Row[] = ENTRY_CONTENDERS.map(([name, label]) => ({
    name: label,
    note: `${best(name).toFixed(0)} B per entry (${(best(name) / floor).toFixed(2)}x Map); runs: ${perEntry.get(name)!.map((b) => b.toFixed(0)).join(', ')} B`,
  }));
  return {
    section: { title: `Memory per entry: ${entries} entries { id, name, price }, heap used after full GC, fresh process each`, unit: 'ms', rows },
    verdict: {
      target: `memory per entry <= ${ENTRY_TARGET}x Map (Warp with a MemoryCache, ${entries} entries)`,
      measured: `${best('warp').toFixed(0)} B vs Map ${floor.toFixed(0)} B (${(best('warp') / floor).toFixed(2)}x)`,
      met: best('warp') <= ENTRY_TARGET * floor,
    },
  };
}

/** Runs the memory-per-entry (not in --quick runs unless named) and decorated-read memory sections. */
export async function runMemoryBenchmarks(config: BenchConfig): Promise<{ sections: Section[]; verdicts: Verdict[] }> {
  const entries = await measureEntries(config);
  const { reads, rounds, checkpoints } = sizes(config);
  const own = { build: ownBuild(), reports: [] as MemoryReport[] };
  const other = config.compareBuild === undefined ? undefined : { build: compareBuild(config.compareBuild), reports: [] as MemoryReport[] };
  for (let round = 0; round < rounds; round++) {
    const order = other === undefined ? [own] : round % 2 === 0 ? [other, own] : [own, other];
    for (const m of order) {
      progress(`decorated read memory, ${m.build.label}, run ${round + 1}/${rounds}`);
      m.reports.push(await measure(m.build, reads, checkpoints));
    }
  }

  const measured = other === undefined ? [own] : [other, own];
  const rows: Row[] = [];
  for (const m of measured) {
    for (const [i, r] of m.reports.entries()) {
      const [peakAt, peakHeap] = peakOf(r);
      const end = r.points[r.points.length - 1][1] - r.full;
      const anomalies = [
        r.loads !== r.warmup + reads ? `${r.loads} method calls for ${r.warmup + reads} distinct reads` : '',
        r.lastKeyMissed ? 'the last key read again missed' : '',
      ].filter(Boolean);
      rows.push({
        name: `${m.build.label}, run ${i + 1}`,
        opsPerSec: reads / (r.readMs / 1000),
        note: [
          `beyond the full cache: peak ${mb(peakHeap - r.full)} after ${peakAt} reads ${verdict(peakHeap - r.full)}`,
          `after all ${mb(end)} ${verdict(end)}`,
          `full cache ${mb(r.full - r.empty)}`,
          ...anomalies,
        ].join('; '),
      });
    }
  }
  const worst = (reports: MemoryReport[]) => Math.max(...reports.map((r) => peakOf(r)[1] - r.full));
  const ownWorst = worst(own.reports);
  return {
    sections: [
      entries.section,
      {
        title: `Decorated reads: heap after ${reads} distinct @WarpKey reads, MemoryCache of ${CACHE_ENTRIES} (after full GC, ${checkpoints} checkpoints)`,
        unit: 'ms',
        rows,
      },
    ],
    verdicts: [
      ...(entries.verdict === undefined ? [] : [entries.verdict]),
      {
        target: `${reads} distinct decorated reads retain < ${mb(BOUND_BYTES).slice(1)} beyond the ${CACHE_ENTRIES} cached entries (peak of the checkpoints)`,
        measured: `${mb(ownWorst)} (worst of ${own.reports.length})${other === undefined ? '' : `; ${other.build.label} ${mb(worst(other.reports))}`}`,
        met: ownWorst < BOUND_BYTES,
      },
    ],
  };
}

/** `[reads so far, heap]` of the checkpoint with the most heap. */
function peakOf(report: MemoryReport): [number, number] {
  return report.points.reduce((peak, point) => (point[1] > peak[1] ? point : peak));
}

function verdict(retained: number): string {
  return retained < BOUND_BYTES ? 'PASS' : 'FAIL';
}
