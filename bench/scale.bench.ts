// How Warp's cost grows with the cluster (issue 14): N Warp nodes on one private redis-server (each
// node with its own Redis connections), N = 2..32, as separate processes up to PROCESS_CAP and as
// several nodes per process beyond. Per N: the idle cost of a node (bus messages received/s, CPU),
// the raw ioredis pub/sub floor (publish -> all N-1 other subscribers received), EventualDistributed
// set -> all N-1 peers evicted, StrongDistributed set latency, and the invalidations/s a node
// absorbs; then the same on a private 3-master Redis Cluster at one N. Not part of `--quick` runs
// unless named (`--only scale`), and then tiny.
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { NodeProcess } from '../test/helpers/node-process.js';
import { PrivateRedis } from '../test/helpers/private-redis.js';
import { skipUnlessRedisCluster, startRedisCluster } from '../test/helpers/redis-cluster.js';
import { skipUnlessOnPath } from '../test/helpers/services.js';
import { latencyRow, percentile, progress, ratio, type BenchConfig, type Row, type Section, type Verdict } from './harness.js';

const SCALE_NODE = fileURLToPath(new URL('./fixtures/scale-node.js', import.meta.url));
/** Most child processes per cluster (the machine's cores x 2); beyond it, several nodes per process. */
const PROCESS_CAP = 4;

interface Sizes {
  /** Cluster sizes measured idle only. */
  idleOnly: number[];
  /** Cluster sizes with every curve. */
  full: number[];
  /** Cluster size of the Redis Cluster run. */
  clusterN: number;
  idleWindowMs: number;
  /** Floor / eventual samples, in chunks that alternate, and strong sets. */
  samples: number;
  chunk: number;
  warmup: number;
  invalidations: number;
}

/** BENCH_SCALE_N=16 (or 2,16): measure only these cluster sizes on one server, no Redis Cluster (for profiles). */
function sizes(config: BenchConfig): Sizes {
  const s: Sizes = config.quick
    ? { idleOnly: [], full: [2], clusterN: 0, idleWindowMs: 500, samples: 10, chunk: 10, warmup: 2, invalidations: 1000 }
    : { idleOnly: [32], full: [2, 4, 8, 16], clusterN: 4, idleWindowMs: 5000, samples: 300, chunk: 25, warmup: 20, invalidations: 20_000 };
  const only = process.env.BENCH_SCALE_N?.split(',').map(Number);
  if (only === undefined) return s;
  return { ...s, full: s.full.filter((n) => only.includes(n)), idleOnly: s.idleOnly.filter((n) => only.includes(n)), clusterN: 0 };
}

type Target = { port: number } | { cluster: Array<{ host: string; port: number }> };

/** Measured at one N. */
interface Point {
  n: number;
  layout: string;
  /** Bus payloads received per node per second, idle (own heartbeat echoes included). */
  msgsPerNode: number;
  /** CPU per idle node, ms per second (= permille of one core), the process baseline included. */
  cpuPerNode: number;
  /** The same processes before their nodes started: ms of CPU per second per process. */
  baselinePerProcess: number;
  /** Redis server CPU, ms per second (single server only). */
  redisCpu?: number;
  floor?: number[];
  /** Raw round trip: publish -> every other node's subscriber echoes -> all N-1 echoes received. */
  roundTrip?: number[];
  evicted?: number[];
  strong?: number[];
  strongFailed?: number;
  /** Invalidations per second one node absorbed (the slowest node). */
  absorbed?: number;
}

function layoutOf(n: number): number[] {
  const processes = Math.min(n, PROCESS_CAP);
  return Array.from({ length: processes }, (_, i) => Math.floor(n / processes) + (i < n % processes ? 1 : 0));
}

async function startProcesses(n: number, namespace: string, target: Target): Promise<NodeProcess[]> {
  const counts = layoutOf(n);
  const firsts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
  return Promise.all(
    counts.map((count, i) =>
      NodeProcess.start(
        `${namespace}-p${i}`,
        SCALE_NODE,
        { BENCH_NAMESPACE: namespace, BENCH_NODES: String(count), BENCH_FIRST: String(firsts[i]), BENCH_REDIS: JSON.stringify(target) },
        20_000,
        // BENCH_SCALE_PROF=<dir>: a CPU profile of every child (node --cpu-prof), written when it exits.
        process.env.BENCH_SCALE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SCALE_PROF}`] : [],
      ),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

async function usage(processes: readonly NodeProcess[]): Promise<{ cpuMs: number; received: number }> {
  const all = await Promise.all(processes.map((p) => p.call<{ cpuMs: number; received: number }>('usage')));
  return { cpuMs: sum(all.map((u) => u.cpuMs)), received: sum(all.map((u) => u.received)) };
}

async function redisCpuMs(admin: Redis | undefined): Promise<number> {
  if (admin === undefined) return NaN;
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

async function awaitPeers(processes: readonly NodeProcess[], n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const peers = await Promise.all(processes.map((p) => p.call<number>('peers')));
    if (peers.every((count) => count === n - 1)) return;
    await sleep(100);
  }
  throw new Error(`bench: the ${n} Warp nodes did not see each other within 20 s`);
}

/** Latest of the processes' monotonic times (ms) for `op`. */
async function lastOf(processes: readonly NodeProcess[], op: string): Promise<number> {
  return Math.max(...(await Promise.all(processes.map((p) => p.call<number>(op)))));
}

async function measureN(n: number, idleOnly: boolean, target: Target, s: Sizes, run: string, admin?: Redis): Promise<Point> {
  const namespace = `${run}-n${n}`;
  const counts = layoutOf(n);
  const layout = counts.every((c) => c === 1) ? `${n} processes x 1 node` : `${counts.length} processes x ${counts[0]} nodes`;
  progress(`scale: N=${n} (${layout})${'cluster' in target ? ' on a Redis Cluster' : ''}`);
  const processes = await startProcesses(n, namespace, target);
  try {
    const [writer] = processes;
    const others = processes.slice(1);
    // The processes idle with their connections open, before any node started.
    const base0 = await usage(processes);
    await sleep(s.idleWindowMs / 2);
    const baselinePerProcess = ((await usage(processes)).cpuMs - base0.cpuMs) / processes.length / (s.idleWindowMs / 2 / 1000);
    await Promise.all(processes.map((p) => p.call('start')));
    await awaitPeers(processes, n);
    // Admission (one lease after the first echo) and the newcomers' replies settle.
    await sleep(2500);
    const before = await usage(processes);
    const redisBefore = await redisCpuMs(admin);
    await sleep(s.idleWindowMs);
    const after = await usage(processes);
    const seconds = s.idleWindowMs / 1000;
    const point: Point = {
      n,
      layout,
      msgsPerNode: (after.received - before.received) / n / seconds,
      cpuPerNode: (after.cpuMs - before.cpuMs) / n / seconds,
      baselinePerProcess,
      redisCpu: ((await redisCpuMs(admin)) - redisBefore) / seconds,
    };
    if (idleOnly) return point;

    const channel = `${namespace}-floor`;
    await Promise.all(processes.map((p, i) => p.call('floorSubscribe', channel, i === 0)));
    point.floor = [];
    point.evicted = [];
    const key = 'ev:scale';
    let round = 0;
    const floorOnce = async () => {
      const message = `m-${round++}`;
      await Promise.all(processes.map((p) => p.call('floorArm', message)));
      const published = await writer.call<number>('floorPublish', channel, message);
      return (await lastOf(processes, 'floorDone')) - published;
    };
    const evictedOnce = async () => {
      await Promise.all(processes.map((p) => p.call('prime', key)));
      await Promise.all(processes.map((p, i) => p.call('expectEvictions', key, 1, i === 0)));
      const [, resolved] = await writer.call<[number, number]>('timedSet', key, round++);
      return (await lastOf(counts[0] > 1 ? processes : others, 'evicted')) - resolved;
    };
    for (let i = 0; i < s.warmup; i++) {
      await floorOnce();
      await evictedOnce();
    }
    for (let done = 0; done < s.samples; done += s.chunk) {
      for (let i = 0; i < s.chunk; i++) point.floor.push(await floorOnce());
      for (let i = 0; i < s.chunk; i++) point.evicted.push(await evictedOnce());
    }

    // Strong sets alternate with the round-trip floor (what an acknowledged broadcast cannot beat).
    const roundTripOnce = async () => {
      const message = `m-${round++}`;
      await Promise.all(processes.map((p) => p.call('floorArm', message)));
      return writer.call<number>('floorRoundTrip', channel, message, n - 1);
    };
    await writer.call('strongSets', 'st:scale', s.warmup);
    for (let i = 0; i < s.warmup; i++) await roundTripOnce();
    point.strong = [];
    point.roundTrip = [];
    for (let done = 0; done < s.samples; done += s.chunk) {
      for (let i = 0; i < s.chunk; i++) point.roundTrip.push(await roundTripOnce());
      point.strong.push(...(await writer.call<number[]>('strongSets', 'st:scale', s.chunk)));
    }
    point.strongFailed = s.samples - point.strong.length;

    await Promise.all(processes.map((p, i) => p.call('expectEvictions', 'ev:inv:', s.invalidations, i === 0)));
    const [started] = await writer.call<[number, number]>('invalidateMany', 'ev:inv:', s.invalidations, 64);
    point.absorbed = s.invalidations / (((await lastOf(counts[0] > 1 ? processes : others, 'evicted')) - started) / 1000);
    return point;
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

const p50 = (samples: readonly number[] | undefined) => percentile(samples ?? [], 50);
const p99 = (samples: readonly number[] | undefined) => percentile(samples ?? [], 99);
const fixed = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));

/** CPU per node (ms/s) beyond what its process spent idle before the nodes started. */
function warpCpu(p: Point): number {
  const processes = layoutOf(p.n).length;
  return p.cpuPerNode - (p.baselinePerProcess * processes) / p.n;
}

/** Tables of `points`; ratios are to `reference` (default: the first point, N=2). */
function sections(points: readonly Point[], where: string, reference?: Point): Section[] {
  const base = reference ?? points[0];
  const refName = reference === undefined ? 'N=2' : `N=${reference.n} on one server`;
  const name = (p: Point) => `N=${p.n} (${p.layout})`;
  const idle: Row[] = points.map((p) => ({
    name: name(p),
    note: [
      `${fixed(p.msgsPerNode, 1)} msgs/s per node (${ratio(p.msgsPerNode, base.msgsPerNode)} ${refName})`,
      `CPU ${fixed(p.cpuPerNode / 10, 3)} % of a core per node (${ratio(p.cpuPerNode, base.cpuPerNode)} ${refName})`,
      // At N=2 it is within the noise of zero (even negative): no ratio to it then.
      `above the idle process: ${fixed(warpCpu(p) / 10, 3)} %${warpCpu(base) > 0.1 ? ` (${ratio(warpCpu(p), warpCpu(base))} ${refName})` : ''}`,
      `process baseline ${fixed(p.baselinePerProcess / 10, 3)} %`,
      ...(p.redisCpu !== undefined && Number.isFinite(p.redisCpu) ? [`Redis ${fixed(p.redisCpu / 10, 2)} % of a core`] : []),
    ].join('; '),
  }));
  const measured = points.filter((p) => p.strong !== undefined);
  const latency = (label: string, pick: (p: Point) => number[] | undefined, extra: (p: Point) => string[] = () => []): Row[] =>
    measured.flatMap((p) => [
      latencyRow(`${name(p)}: ${label}`, pick(p) ?? [], [`p50 ${ratio(p50(pick(p)), p50(pick(base)))} ${refName}`, `p99 ${ratio(p99(pick(p)), p99(pick(base)))} ${refName}`, ...extra(p)].join('; ')),
    ]);
  return [
    { title: `Scale${where}: idle cost per node (bus messages received incl. own echoes, CPU; heartbeat 1 s)`, unit: 'ms', rows: idle },
    {
      title: `Scale${where}: raw ioredis pub/sub floor, publish -> all N-1 other subscribers received`,
      unit: 'ms',
      rows: latency('floor', (p) => p.floor),
    },
    {
      title: `Scale${where}: EventualDistributed set resolved -> all N-1 peers evicted`,
      unit: 'ms',
      rows: latency('all evicted', (p) => p.evicted, (p) => [`p99 ${ratio(p99(p.evicted), p99(p.floor))} the floor`, `absorbs ${fixed((p.absorbed ?? NaN) / 1000, 1)}k invalidations/s per node`]),
    },
    {
      title: `Scale${where}: raw ioredis round trip, publish -> N-1 other subscribers echo -> all echoes received (the acknowledged-broadcast floor)`,
      unit: 'ms',
      rows: latency('round trip', (p) => p.roundTrip),
    },
    {
      title: `Scale${where}: StrongDistributed set (writer waits for every member's ack)`,
      unit: 'ms',
      rows: latency('strong set', (p) => p.strong, (p) => [`p50 - round-trip floor p50 = ${fixed(p50(p.strong) - p50(p.roundTrip), 3)} ms`, ...(p.strongFailed ? [`${p.strongFailed} failed`] : [])]),
    },
  ];
}

/** Runs the scale sections (skipped in `--quick` runs unless named with `--only`). */
export async function runScaleBenchmarks(config: BenchConfig): Promise<{ sections: Section[]; verdicts: Verdict[] }> {
  if (config.quick && !config.only?.includes('scale')) {
    return { sections: [{ title: 'Scale: skipped in --quick runs (name it: --only scale)', unit: 'ms', rows: [] }], verdicts: [] };
  }
  const skip = await skipUnlessOnPath(['redis-server'], 'the scale bench');
  if (skip) return { sections: [{ title: `Scale: skipped (${skip})`, unit: 'ms', rows: [] }], verdicts: [] };
  const s = sizes(config);
  const run = `scale-${process.pid}-${Date.now().toString(36)}`;
  const redis = await PrivateRedis.start();
  const admin = new Redis({ host: redis.host, port: redis.port });
  const points: Point[] = [];
  try {
    for (const n of s.full) points.push(await measureN(n, false, { port: redis.port }, s, run, admin));
    for (const n of s.idleOnly) points.push(await measureN(n, true, { port: redis.port }, s, run, admin));
  } finally {
    admin.disconnect();
    await redis.stop();
  }
  const out = sections(points, ' (one redis-server)');

  let clusterPoint: Point | undefined;
  if (s.clusterN > 0 && !(await skipUnlessRedisCluster())) {
    const cluster = await startRedisCluster(3);
    try {
      clusterPoint = await measureN(s.clusterN, false, { cluster: cluster.nodes }, s, run);
    } finally {
      await cluster.stop();
    }
    out.push(...sections([clusterPoint], ` (Redis Cluster, 3 masters; RedisBus uses classic pub/sub, publishes pinned to one master)`, points.find((p) => p.n === s.clusterN)));
  }

  const at = (n: number) => points.find((p) => p.n === n);
  const two = at(2);
  if (two === undefined) return { sections: out, verdicts: [] };
  const biggest = points.reduce((a, b) => (b.n > a.n ? b : a));
  const sixteen = at(16);
  const verdicts: Verdict[] = [];
  // "Matters" = one idle node costs at least 1 % of a core at the largest N.
  const matters = biggest.cpuPerNode / 10 >= 1;
  verdicts.push({
    target: `idle bus traffic per node O(1) in N, if it matters by N=${biggest.n} (>= 1 % of a core per idle node)`,
    measured: `msgs/s per node ${ratio(biggest.msgsPerNode, two.msgsPerNode)} N=2 at N=${biggest.n}; CPU per node ${fixed(biggest.cpuPerNode / 10, 3)} % of a core (${ratio(biggest.cpuPerNode, two.cpuPerNode)} N=2), ${fixed(warpCpu(biggest) / 10, 3)} % above the idle process`,
    met: !matters || biggest.msgsPerNode <= 2 * two.msgsPerNode,
  });
  if (sixteen?.strong !== undefined) {
    verdicts.push({
      target: 'StrongDistributed set p50 at N=16 <= 2x N=2',
      measured:
        `${fixed(p50(sixteen.strong), 3)} ms vs ${fixed(p50(two.strong), 3)} ms (${ratio(p50(sixteen.strong), p50(two.strong))}); ` +
        `round-trip floor p50 ${fixed(p50(sixteen.roundTrip), 3)} vs ${fixed(p50(two.roundTrip), 3)} ms (${ratio(p50(sixteen.roundTrip), p50(two.roundTrip))}); ` +
        `beyond it ${fixed(p50(sixteen.strong) - p50(sixteen.roundTrip), 3)} vs ${fixed(p50(two.strong) - p50(two.roundTrip), 3)} ms`,
      met: p50(sixteen.strong) <= 2 * p50(two.strong),
    });
    verdicts.push({
      target: 'EventualDistributed all-evicted p99 at N=16 <= 2x the pub/sub floor p99 (same N, same run)',
      measured: `${fixed(p99(sixteen.evicted), 3)} ms vs floor ${fixed(p99(sixteen.floor), 3)} ms (${ratio(p99(sixteen.evicted), p99(sixteen.floor))})`,
      met: p99(sixteen.evicted) <= 2 * p99(sixteen.floor),
    });
  }
  return { sections: out, verdicts };
}
