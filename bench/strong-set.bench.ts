// StrongDistributed `set` latency on 3 processes (RedisBus, TieredCache(MemoryCache, RedisCache),
// RedisStore, RedisLocker on the machine's Redis), for this build and, with `--compare-build
// <dir>`, another build side by side. Each round starts one 3-process cluster per build; both stay
// up while short chunks alternate between them (which build goes first alternates too), so both
// meet the same machine load. A chunk measures the raw ioredis pub/sub round trip (the floor: an
// acknowledged broadcast cannot beat it), then the strong sets, then (full run) a few sets with
// the time of each port call (lock, bus, store, L2), to show where the time goes.
import type { NodeProcess } from '../test/helpers/node-process.js';
import { skipUnless } from '../test/helpers/services.js';
import { awaitMembership, compareBuild, ownBuild, startCluster, stopCluster, WARP_NODE, type WarpBuild } from './cluster.js';
import { latencyRow, percentile, progress, stepRows, type BenchConfig, type Row, type Section, type Verdict } from './harness.js';

interface Sizes {
  /** Fresh clusters per build. */
  rounds: number;
  chunks: number;
  /** Round trips and sets per chunk, after `warmup` of each per round. */
  chunk: number;
  warmup: number;
  /** Sets recorded step by step per chunk (0: none). */
  steps: number;
}

function sizes(config: BenchConfig): Sizes {
  return config.quick ? { rounds: 1, chunks: 1, chunk: 20, warmup: 5, steps: 0 } : { rounds: 2, chunks: 10, chunk: 50, warmup: 50, steps: 20 };
}

type Steps = Array<Array<[string, number]>>;

/** One build's samples (ms). */
interface Samples {
  build: WarpBuild;
  rtt: number[];
  rtt2: number[];
  /** Set latencies per round, per chunk. */
  sets: number[][][];
  /** CPU time (ms) the three processes used per set, per chunk. */
  cpuPerSet: number[];
  /** Writes that failed (and were not timed), by error name. */
  failed: Record<string, number>;
  /** Per recorded set: `[label, monotonic ms]` of each port call, 'set called' to 'set resolved'. */
  steps: Steps;
}

/** A running cluster of one build, pinged on its own channels. */
interface Cluster {
  samples: Samples;
  namespace: string;
  nodes: NodeProcess[];
}

async function startFor(samples: Samples, namespace: string): Promise<Cluster> {
  const nodes = await startCluster(WARP_NODE, namespace, {}, samples.build);
  try {
    await awaitMembership(nodes);
    const [, b, c] = nodes;
    await Promise.all([b.call('echo', `${namespace}:ping1`), b.call('echo', `${namespace}:ping2`), c.call('echo', `${namespace}:ping2`)]);
  } catch (error) {
    await stopCluster(nodes, namespace);
    throw error;
  }
  return { samples, namespace, nodes };
}

/** CPU time (ms) the nodes used so far, summed. */
async function cpuOf(nodes: readonly NodeProcess[]): Promise<number> {
  return (await Promise.all(nodes.map((n) => n.call<number>('cpu')))).reduce((a, b) => a + b, 0);
}

/**
 * `n` round trips to one peer, to two peers, then `n` strong sets; samples in ms, and the CPU
 * time the three processes spent per set (what a busy machine must find for each write).
 */
async function measureChunk({ nodes, namespace }: Cluster, n: number): Promise<{ rtt: number[]; rtt2: number[]; sets: number[]; cpuPerSet: number }> {
  const [a] = nodes;
  const rtt = await a.call<number[]>('roundTrips', `${namespace}:ping1`, n, 1);
  const rtt2 = await a.call<number[]>('roundTrips', `${namespace}:ping2`, n, 2);
  const cpuBefore = await cpuOf(nodes);
  const sets = await a.call<number[]>('setLatencies', 'st:latency', n);
  const cpuPerSet = ((await cpuOf(nodes)) - cpuBefore) / n;
  return { rtt, rtt2, sets, cpuPerSet };
}

async function measureRound(all: readonly Samples[], run: string, round: number, s: Sizes): Promise<void> {
  const clusters: Cluster[] = [];
  try {
    for (const [i, samples] of all.entries()) clusters.push(await startFor(samples, `${run}-s${round}${i}`));
    for (const cluster of clusters) await measureChunk(cluster, s.warmup);
    for (const cluster of clusters) cluster.samples.sets[round] = [];
    for (let chunk = 0; chunk < s.chunks; chunk++) {
      const order = (round + chunk) % 2 === 0 ? clusters : [...clusters].reverse();
      for (const cluster of order) {
        const { rtt, rtt2, sets, cpuPerSet } = await measureChunk(cluster, s.chunk);
        cluster.samples.cpuPerSet.push(cpuPerSet);
        cluster.samples.rtt.push(...rtt);
        cluster.samples.rtt2.push(...rtt2);
        cluster.samples.sets[round].push(sets);
        if (s.steps > 0) cluster.samples.steps.push(...(await cluster.nodes[0].call<Steps>('setSteps', 'st:steps', s.steps)));
      }
    }
    for (const { nodes: [a], samples } of clusters) {
      for (const [name, count] of Object.entries(await a.call<Record<string, number>>('failedWrites'))) samples.failed[name] = (samples.failed[name] ?? 0) + count;
    }
  } finally {
    await Promise.all(clusters.map((c) => stopCluster(c.nodes, c.namespace)));
  }
}

const p50 = (samples: readonly number[]) => percentile(samples, 50);
const ms = (value: number) => `${value.toFixed(3)} ms`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)} ms`;

/** Runs the StrongDistributed set sections (empty, with a note, when Redis is unreachable). */
export async function runStrongSetBenchmarks(config: BenchConfig): Promise<{ sections: Section[]; verdicts: Verdict[] }> {
  const skip = await skipUnless('redis');
  if (skip) return { sections: [{ title: `StrongDistributed set: skipped (${skip})`, unit: 'ms', rows: [] }], verdicts: [] };
  const s = sizes(config);
  const fresh = (build: WarpBuild): Samples => ({ build, rtt: [], rtt2: [], sets: [], cpuPerSet: [], failed: {}, steps: [] });
  const own = fresh(ownBuild());
  const other = config.compareBuild === undefined ? undefined : fresh(compareBuild(config.compareBuild));
  const measured = other === undefined ? [own] : [other, own];
  const run = `bench-${process.pid}-${Date.now().toString(36)}`;
  for (let round = 0; round < s.rounds; round++) {
    progress(`StrongDistributed set, ${measured.map((m) => m.build.label).join(' vs ')}, round ${round + 1}/${s.rounds}`);
    await measureRound(measured, run, round, s);
  }

  const rtt = measured.flatMap((m) => m.rtt);
  const setsOf = (m: Samples) => m.sets.flat(2);
  const rows: Row[] = [
    latencyRow('raw ioredis pub/sub round trip, 1 peer (floor)', rtt, 'publish -> echo in another process -> reply'),
    latencyRow('raw ioredis pub/sub round trip, 2 peers', measured.flatMap((m) => m.rtt2), 'both peers replied (the acks a strong write waits for)'),
  ];
  for (const m of measured) {
    for (const [i, chunks] of m.sets.entries()) {
      const chunkP50s = chunks.map(p50);
      rows.push(latencyRow(`${m.build.label}: set, round ${i + 1}`, chunks.flat(), `chunk p50s ${ms(Math.min(...chunkP50s))}-${ms(Math.max(...chunkP50s))}`));
    }
    rows.push(
      latencyRow(
        `${m.build.label}: set, all rounds`,
        setsOf(m),
        [
          `p50 ${(p50(setsOf(m)) / p50(rtt)).toFixed(2)}x the floor p50; CPU per set (3 processes) median ${ms(p50(m.cpuPerSet))}`,
          ...Object.entries(m.failed).map(([name, count]) => `${count} failed (${name}), not timed`),
        ].join('; '),
      ),
    );
  }
  const sections: Section[] = [{ title: 'StrongDistributed set latency, 3 processes', unit: 'ms', rows }];
  for (const m of measured) {
    if (m.steps.length > 0) sections.push({ title: `StrongDistributed set step by step (${m.build.label})`, unit: 'ms', rows: stepRows(m.steps, 'total (set called -> set resolved)', 'writes') });
  }

  const ownSets = setsOf(own);
  const verdicts: Verdict[] = [
    { target: 'StrongDistributed set p99 <= 3 ms (3 processes)', measured: ms(percentile(ownSets, 99)), met: percentile(ownSets, 99) <= 3 },
  ];
  const rule = 'StrongDistributed set p50: this build - compare build <= 1 pub/sub round trip p50';
  if (other === undefined) {
    verdicts.push({ target: rule, measured: `this build ${ms(p50(ownSets))}, floor ${ms(p50(rtt))}; no --compare-build`, met: 'n/a' });
  } else {
    const extra = p50(ownSets) - p50(setsOf(other));
    // Chunks measured back to back under the same load, paired: their spread is the run's noise.
    const paired = own.sets.flatMap((chunks, r) => chunks.map((chunk, c) => p50(chunk) - p50(other.sets[r][c])));
    verdicts.push({
      target: rule,
      measured:
        `${signed(extra)} vs floor ${ms(p50(rtt))} (${(extra / p50(rtt)).toFixed(2)} round trips); ` +
        `paired chunks median ${signed(p50(paired))}, p10..p90 ${signed(percentile(paired, 10))}..${signed(percentile(paired, 90))}`,
      met: extra <= p50(rtt),
    });
  }
  return { sections, verdicts };
}
