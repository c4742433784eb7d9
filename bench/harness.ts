// Shared pieces of the benchmarks: run configuration, mitata measurement with a real GC between
// cases, latency percentiles, and the plain-text table every section prints.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { do_not_optimize, measure } from 'mitata';

/** What a run measures. */
export interface BenchConfig {
  /** Small sizes: a few seconds per suite. */
  quick: boolean;
  /**
   * The smoke test's size (`--smoke`, implies `quick`): each micro-benchmark runs a handful of
   * iterations without GC, so the report's shape is checked, not its numbers.
   */
  smoke?: boolean;
  /** Another checkout (its root, built with `npm run build:all`) measured beside this build where a suite can. */
  compareBuild?: string;
  /** Suites to run (`local`, `distributed`, `strong`, `memory`); all when absent. */
  only?: string[];
}

/** One measured case. Times are nanoseconds for micro-benchmarks, milliseconds for latencies. */
export interface Row {
  name: string;
  opsPerSec?: number;
  p50?: number;
  p99?: number;
  /** Free text: a ratio against the section's floor, a count, a verdict. */
  note?: string;
}

/** A titled group of rows measured in the same run. */
export interface Section {
  title: string;
  unit: 'ns' | 'ms';
  rows: Row[];
}

/** A target of issue 7 and whether this run met it (`'n/a'` for a comparison reported without a target). */
export interface Verdict {
  target: string;
  measured: string;
  met: boolean | 'n/a';
}

/**
 * Reads `--quick` / `BENCH_QUICK=1`, `--smoke`, `--compare-build <dir>` / `BENCH_COMPARE_BUILD=<dir>` and
 * `--only <suite,...>`.
 */
export function configFromArgs(argv: readonly string[]): BenchConfig {
  const valueOf = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    if (at === -1) return undefined;
    const value = argv[at + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`bench: ${flag} needs a value`);
    return value;
  };
  const compareBuild = valueOf('--compare-build') ?? (process.env.BENCH_COMPARE_BUILD || undefined);
  const only = valueOf('--only')?.split(',').map((name) => name.trim());
  const smoke = argv.includes('--smoke');
  return { quick: smoke || argv.includes('--quick') || process.env.BENCH_QUICK === '1', smoke, compareBuild, only };
}

// mitata falls back to allocating 1 GiB to provoke a GC when `gc()` is not exposed.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Measures one operation with mitata (which batches nanosecond-scale calls and awaits Promises);
 * p50/p99 are over mitata's samples, each the mean of one batch.
 */
export async function measureOp(name: string, op: () => unknown, config: BenchConfig): Promise<Row> {
  const probe = op();
  if (probe instanceof Promise) await probe;
  // A sync result nobody reads lets the JIT delete the call: sink it (an async one mitata awaits).
  const measured = probe instanceof Promise ? op : () => do_not_optimize(op());
  const stats = await measure(
    measured,
    config.smoke
      ? { gc: false, min_cpu_time: 0, min_samples: 2, max_samples: 2, batch_samples: 16, warmup_samples: 0 }
      : {
          gc: collect,
          min_cpu_time: (config.quick ? 40 : 700) * 1e6,
          ...(config.quick ? { max_samples: 64, warmup_samples: 1 } : {}),
        },
  );
  return { name, opsPerSec: 1e9 / stats.avg, p50: stats.p50, p99: stats.p99 };
}

/** Progress on stderr, so a long run shows where it is without polluting the report. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** p-th percentile (0-100) of unsorted samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A latency row from samples in ms. */
export function latencyRow(name: string, samplesMs: readonly number[], note?: string): Row {
  return { name, p50: percentile(samplesMs, 50), p99: percentile(samplesMs, 99), note };
}

/**
 * The gaps between consecutive steps of the most common sequence of timestamped steps (timelines
 * whose sequence differs, e.g. a heartbeat published mid-operation, are left out), one latency
 * row each, then `total` from the first step to the last.
 */
export function stepRows(timelines: readonly Array<[string, number]>[], total: string, what: string): Row[] {
  const bySequence = new Map<string, Array<Array<[string, number]>>>();
  for (const timeline of timelines) {
    const sequence = timeline.map(([label]) => label).join(' | ');
    bySequence.set(sequence, [...(bySequence.get(sequence) ?? []), timeline]);
  }
  const common = [...bySequence.values()].sort((x, y) => y.length - x.length)[0] ?? [];
  if (common.length === 0) return [];
  const rows: Row[] = [];
  for (let i = 1; i < common[0].length; i++) {
    rows.push(latencyRow(`${common[0][i - 1][0]} -> ${common[0][i][0]}`, common.map((t) => t[i][1] - t[i - 1][1])));
  }
  rows.push(latencyRow(total, common.map((t) => t[t.length - 1][1] - t[0][1]), `${common.length} of ${timelines.length} ${what} had this sequence`));
  return rows;
}

/** `a / b` printed as `1.23x`. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

/** Row named `name` in `rows`; throws when a benchmark forgot to produce it. */
export function rowOf(rows: readonly Row[], name: string): Row {
  const row = rows.find((r) => r.name === name);
  if (row === undefined) throw new Error(`bench: no row named "${name}"`);
  return row;
}

/** Monotonic clock in ms, shared by every process of this machine (CLOCK_MONOTONIC). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function formatOps(ops: number | undefined): string {
  if (ops === undefined) return '';
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)}M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)}k`;
  return ops.toFixed(0);
}

function formatTime(value: number | undefined, unit: Section['unit']): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (unit === 'ms') return `${value.toFixed(3)} ms`;
  return value >= 1e4 ? `${(value / 1e3).toFixed(1)} µs` : `${value.toFixed(1)} ns`;
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
}

/** Renders the sections and the verdicts as Markdown tables (readable in a terminal too). */
export function formatReport(sections: readonly Section[], verdicts: readonly Verdict[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`### ${section.title}`, '');
    out.push(
      table(
        ['case', 'ops/s', 'p50', 'p99', 'note'],
        section.rows.map((r) => [r.name, formatOps(r.opsPerSec), formatTime(r.p50, section.unit), formatTime(r.p99, section.unit), r.note ?? '']),
      ),
      '',
    );
  }
  out.push('### Targets (issue 7)', '');
  out.push(table(['target', 'measured', 'met'], verdicts.map((v) => [v.target, v.measured, v.met === 'n/a' ? 'n/a' : v.met ? 'yes' : 'NO'])), '');
  return out.join('\n');
}
