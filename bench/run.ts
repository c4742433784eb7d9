// Entry of `npm run bench`: local, distributed, StrongDistributed set and decorated-read memory
// benchmarks, one report. `--quick` (or BENCH_QUICK=1) runs a tiny version in a few seconds, for
// the smoke test; `--compare-build <dir>` measures another built checkout beside this build
// (local, distributed, strong and memory suites); `--only strong,memory` runs some suites.
import { availableParallelism, loadavg } from 'node:os';
import { configFromArgs, formatReport, type BenchConfig, type Section, type Verdict } from './harness.js';

type Suite = (config: BenchConfig) => Promise<{ sections: Section[]; verdicts: Verdict[] }>;

/** Each suite is imported when it runs: `--only local` (the smoke test) loads no cluster or Redis helpers. */
const SUITES: Record<string, () => Promise<Suite>> = {
  local: async () => (await import('./local.bench.js')).runLocalBenchmarks,
  distributed: async () => (await import('./distributed.bench.js')).runDistributedBenchmarks,
  strong: async () => (await import('./strong-set.bench.js')).runStrongSetBenchmarks,
  memory: async () => (await import('./memory.bench.js')).runMemoryBenchmarks,
  scale: async () => (await import('./scale.bench.js')).runScaleBenchmarks,
};

/** A benchmark that hangs (a child lost to a Redis outage) fails the run instead of blocking it. */
const RUN_TIMEOUT_MS = { quick: 120_000, full: 1_200_000 };

async function main(): Promise<void> {
  const config = configFromArgs(process.argv.slice(2));
  const unknown = config.only?.filter((name) => !(name in SUITES)) ?? [];
  if (unknown.length > 0) throw new Error(`bench: unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
  const limit = config.quick ? RUN_TIMEOUT_MS.quick : RUN_TIMEOUT_MS.full;
  setTimeout(() => {
    console.error(`bench: no result within ${limit / 1000} s, giving up`);
    process.exit(1);
  }, limit).unref();
  const started = Date.now();
  const startLoad = loadavg().map((l) => l.toFixed(2)).join(' ');
  const sections: Section[] = [];
  const verdicts: Verdict[] = [];
  for (const [name, load] of Object.entries(SUITES)) {
    if (config.only !== undefined && !config.only.includes(name)) continue;
    const result = await (await load())(config);
    sections.push(...result.sections);
    verdicts.push(...result.verdicts);
  }
  console.log(formatReport(sections, verdicts));
  // Every number above shares the machine with whatever else ran: say how busy it was.
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`bench: done in ${((Date.now() - started) / 1000).toFixed(1)} s${config.quick ? ' (quick)' : ''}; load average at start ${startLoad}, at end ${load} (${availableParallelism()} cores)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
