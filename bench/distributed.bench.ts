// Distributed benchmarks on the machine's Redis, each node in its own process: invalidation latency
// (Warp EventualDistributed vs the raw ioredis pub/sub floor vs bentocache's bus), invalidation
// throughput with batching, and a 1000-call stampede. StrongDistributed set latency has its own
// suite (strong-set.bench.ts), which can compare two builds.
import { fileURLToPath } from 'node:url';
import type { NodeProcess } from '../test/helpers/node-process.js';
import { skipUnless } from '../test/helpers/services.js';
import { awaitMembership, startCluster, stopCluster, WARP_NODE } from './cluster.js';
import { latencyRow, percentile, progress, ratio, type BenchConfig, type Row, type Section, type Verdict } from './harness.js';

const BENTO_NODE = fileURLToPath(new URL('./fixtures/bento-node.js', import.meta.url));
const STAMPEDE_CALLS = 1000;
const STAMPEDE_LOADER_MS = 50;

interface Sizes {
  latencySamples: number;
  warmup: number;
  throughputKeys: number;
}

function sizes(config: BenchConfig): Sizes {
  return config.quick ? { latencySamples: 20, warmup: 5, throughputKeys: 2_000 } : { latencySamples: 1_000, warmup: 50, throughputKeys: 100_000 };
}

/** Latency samples (ms) of one writer/reader pair. */
interface Propagation {
  /** `set` called on A → B evicted its copy: the invalidation itself. */
  evicted: number[];
  /** `set` resolved on A → `get` on B returned the new value. */
  fromResolved: number[];
  /** `set` called on A → `get` on B returned the new value. */
  fromStart: number[];
}

/**
 * Sets on A until B sees a write, so a bus still subscribing does not count as latency (B reads
 * first: bentocache attaches its local cache to the bus on first use).
 */
async function awaitDelivery(writer: NodeProcess, reader: NodeProcess, key: string): Promise<void> {
  await reader.call('get', key);
  for (let attempt = 0; attempt < 50; attempt++) {
    await reader.call('arm', key, `ready-${attempt}`);
    await writer.call('set', key, `ready-${attempt}`);
    if (await reader.call('watched', key, 200).then(() => true, () => false)) return;
  }
  throw new Error(`bench: ${reader.name} never received ${writer.name}'s invalidations`);
}

/**
 * `set` on A, then the time until B evicts its copy and until `get` on B returns the new value (B
 * reads as soon as its copy is evicted).
 */
async function invalidationLatency(writer: NodeProcess, reader: NodeProcess, key: string, s: Sizes): Promise<Propagation> {
  await awaitDelivery(writer, reader, key);
  const samples: Propagation = { evicted: [], fromResolved: [], fromStart: [] };
  for (let i = 0; i < s.warmup + s.latencySamples; i++) {
    await reader.call('arm', key, i);
    const [started, resolved] = await writer.call<[number, number]>('timedSet', key, i);
    const [evicted, seen] = await reader.call<[number, number]>('watched', key);
    if (i < s.warmup) continue;
    samples.evicted.push(evicted - resolved);
    samples.fromResolved.push(seen - resolved);
    samples.fromStart.push(seen - started);
  }
  return samples;
}

function propagationRows(name: string, p: Propagation): Row[] {
  return [
    latencyRow(`${name}: set resolved -> evicted on B`, p.evicted),
    latencyRow(`${name}: set resolved -> get on B returns new`, p.fromResolved),
    latencyRow(`${name}: set called -> get on B returns new`, p.fromStart),
  ];
}

async function stampedeCount(nodes: readonly NodeProcess[], key: string): Promise<number> {
  const shares = nodes.map((_, i) => Math.floor(STAMPEDE_CALLS / nodes.length) + (i < STAMPEDE_CALLS % nodes.length ? 1 : 0));
  const counts = await Promise.all(nodes.map((n, i) => n.call<number>('stampede', key, shares[i], STAMPEDE_LOADER_MS)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Runs the distributed sections (empty, with a note, when Redis is unreachable). */
export async function runDistributedBenchmarks(config: BenchConfig): Promise<{ sections: Section[]; verdicts: Verdict[] }> {
  const skip = await skipUnless('redis');
  if (skip) {
    return { sections: [{ title: `Distributed: skipped (${skip})`, unit: 'ms', rows: [] }], verdicts: [] };
  }
  const s = sizes(config);
  const run = `bench-${process.pid}-${Date.now().toString(36)}`;
  const latency: Row[] = [];
  const throughput: Row[] = [];
  const stampede: Row[] = [];

  const warp = await startCluster(WARP_NODE, `${run}-w`);
  let floorP99: number;
  let warpP99: number;
  let warpReadP99: number;
  let keysPerSecond: number;
  let warpLoads: number;
  try {
    await awaitMembership(warp);
    const [a, b, c] = warp;
    progress('raw pub/sub floor');
    await b.call('echo', `${run}:ping`);
    const roundTrips = await a.call<number[]>('roundTrips', `${run}:ping`, s.warmup + s.latencySamples);
    // One way: the invalidation below is one message, not a round trip.
    const floor = roundTrips.map((ms) => ms / 2);
    latency.push(latencyRow('raw ioredis pub/sub, round trip / 2 (floor)', floor.slice(s.warmup)));
    progress('Warp invalidation latency');
    const propagation = await invalidationLatency(a, b, 'ev:latency', s);
    latency.push(...propagationRows('Warp EventualDistributed', propagation));
    floorP99 = percentile(floor.slice(s.warmup), 99);
    warpP99 = percentile(propagation.evicted, 99);
    warpReadP99 = percentile(propagation.fromResolved, 99);

    progress('invalidation throughput (tiered)');
    await b.call('expectEvictions', 'ev:tp:', s.throughputKeys);
    const [started, sent] = await a.call<[number, number]>('invalidateMany', 'ev:tp:', s.throughputKeys, 256);
    const evicted = await b.call<number>('evictionsDone');
    keysPerSecond = s.throughputKeys / ((evicted - started) / 1000);
    throughput.push({
      name: `Warp invalidate x${s.throughputKeys} on A -> all evicted on B`,
      opsPerSec: keysPerSecond,
      note: `A sent in ${(sent - started).toFixed(0)} ms, B done ${(evicted - started).toFixed(0)} ms after start`,
    });

    progress('Warp stampede');
    warpLoads = await stampedeCount([a, b, c], `ev:stampede:${run}`);
    stampede.push({ name: `Warp getOrSet x${STAMPEDE_CALLS} over 3 processes`, note: `${warpLoads} loader call(s)` });
  } finally {
    await stopCluster(warp, `${run}-w`);
  }

  // The same bus throughput without Redis L2: what the batching alone delivers per node.
  const l1Only = await startCluster(WARP_NODE, `${run}-m`, { BENCH_CACHE: 'memory' });
  let l1KeysPerSecond: number;
  try {
    await awaitMembership(l1Only);
    const [a, b] = l1Only;
    await b.call('expectEvictions', 'ev:tp:', s.throughputKeys);
    const [started, sent] = await a.call<[number, number]>('invalidateMany', 'ev:tp:', s.throughputKeys, 256);
    const evicted = await b.call<number>('evictionsDone');
    l1KeysPerSecond = s.throughputKeys / ((evicted - started) / 1000);
    throughput.push({
      name: `same, L1-only nodes (no Redis DEL per key)`,
      opsPerSec: l1KeysPerSecond,
      note: `A sent in ${(sent - started).toFixed(0)} ms, B done ${(evicted - started).toFixed(0)} ms after start`,
    });
  } finally {
    await stopCluster(l1Only, `${run}-m`);
  }

  const bento = await startCluster(BENTO_NODE, `${run}-b`);
  let bentoLoads: number;
  let bentoReadP99: number;
  try {
    const [a, b, c] = bento;
    progress('bentocache invalidation latency and stampede');
    const propagation = await invalidationLatency(a, b, 'ev:latency', s);
    latency.push(...propagationRows('bentocache bus', propagation));
    bentoReadP99 = percentile(propagation.fromResolved, 99);
    bentoLoads = await stampedeCount([a, b, c], `stampede:${run}`);
    stampede.push({ name: `bentocache getOrSet x${STAMPEDE_CALLS} over 3 processes`, note: `${bentoLoads} loader call(s)` });
  } finally {
    await stopCluster(bento, `${run}-b`);
  }

  const floorRow = latency[0];
  for (const row of latency.slice(1)) row.note = `p99 ${ratio(row.p99, floorRow.p99)} the floor`;
  const sections: Section[] = [
    { title: 'Cross-process invalidation latency (A writes, B reads the new value)', unit: 'ms', rows: latency },
    { title: 'Invalidation throughput (EventualDistributed, batched)', unit: 'ms', rows: throughput },
    { title: `Stampede: ${STAMPEDE_CALLS} concurrent cold getOrSet, loader ${STAMPEDE_LOADER_MS} ms`, unit: 'ms', rows: stampede },
  ];
  const verdicts: Verdict[] = [
    { target: 'invalidation p99 <= 1.5x raw pub/sub floor (set resolved -> evicted on B)', measured: ratio(warpP99, floorP99), met: warpP99 <= 1.5 * floorP99 },
    {
      target: 'set resolved -> get on B new: p99 vs bentocache (no issue target; reported)',
      measured: `${warpReadP99.toFixed(3)} ms vs ${bentoReadP99.toFixed(3)} ms (${ratio(warpReadP99, bentoReadP99)})`,
      met: 'n/a',
    },
    {
      target: '>= 100k invalidated keys/s per node',
      measured: `${(keysPerSecond / 1e3).toFixed(1)}k tiered, ${(l1KeysPerSecond / 1e3).toFixed(1)}k L1-only`,
      met: keysPerSecond >= 100_000,
    },
    { target: 'stampede: 1 loader call cluster-wide', measured: `${warpLoads} (bentocache ${bentoLoads})`, met: warpLoads === 1 },
  ];
  return { sections, verdicts };
}
