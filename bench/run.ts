// Entry of `npm run bench`: local then distributed benchmarks, one report. `--quick` (or
// BENCH_QUICK=1) runs a tiny version in a few seconds, for the smoke test.
import { configFromArgs, formatReport, type Section, type Verdict } from './harness.js';
import { runDistributedBenchmarks } from './distributed.bench.js';
import { runLocalBenchmarks } from './local.bench.js';

/** A benchmark that hangs (a child lost to a Redis outage) fails the run instead of blocking it. */
const RUN_TIMEOUT_MS = { quick: 120_000, full: 600_000 };

async function main(): Promise<void> {
  const config = configFromArgs(process.argv.slice(2));
  const limit = config.quick ? RUN_TIMEOUT_MS.quick : RUN_TIMEOUT_MS.full;
  setTimeout(() => {
    console.error(`bench: no result within ${limit / 1000} s, giving up`);
    process.exit(1);
  }, limit).unref();
  const started = Date.now();
  const sections: Section[] = [];
  const verdicts: Verdict[] = [];
  for (const suite of [runLocalBenchmarks, runDistributedBenchmarks]) {
    const result = await suite(config);
    sections.push(...result.sections);
    verdicts.push(...result.verdicts);
  }
  console.log(formatReport(sections, verdicts));
  console.log(`bench: done in ${((Date.now() - started) / 1000).toFixed(1)} s${config.quick ? ' (quick)' : ''}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
