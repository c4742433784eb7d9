import { describeViolation } from './linearizability.js';
import type { ScenarioReport } from './scenario.js';

/** The numbers of one fault over one or more runs. */
export interface FaultTotals {
  fault: string;
  runs: number;
  opsChecked: number;
  /** StrongDistributed keys whose history is not linearizable. */
  violations: number;
  /** Keys whose search ran out of budget. */
  unknown: number;
  /** (key, node) pairs still reading something other than the Store's value at the bound. */
  convergenceViolations: number;
  /** Counter keys whose final value no outcome explains. */
  counterViolations: number;
}

export function totalsOf(fault: string, reports: readonly ScenarioReport[]): FaultTotals {
  return {
    fault,
    runs: reports.length,
    opsChecked: sum(reports.map((r) => r.linearizability.opsChecked)),
    violations: sum(reports.map((r) => r.linearizability.violations.length)),
    unknown: sum(reports.map((r) => r.linearizability.unknownKeys.length)),
    convergenceViolations: sum(reports.map((r) => r.convergence.violations.length)),
    counterViolations: sum(reports.map((r) => r.counters.filter((c) => !c.ok).length)),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A plain-text table, one row per fault. */
export function formatTable(rows: readonly FaultTotals[]): string {
  const header = ['fault', 'runs', 'ops checked', 'lin. violations', 'unknown', 'convergence viol.', 'counter viol.'];
  const cells = rows.map((r) => [r.fault, r.runs, r.opsChecked, r.violations, r.unknown, r.convergenceViolations, r.counterViolations].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The linearizability witnesses of one scenario (at most `max` keys). */
export function describeLinearizability(report: ScenarioReport, max = 2): string {
  const { violations, unknownKeys } = report.linearizability;
  const lines = violations.slice(0, max).map(describeViolation);
  if (violations.length > max) lines.push(`... and ${violations.length - max} more keys`);
  if (unknownKeys.length > 0) lines.push(`undecided (search budget exhausted): ${unknownKeys.join(', ')}`);
  return lines.join('\n');
}

/** The (key, node) pairs that had not converged at the bound (at most `max`). */
export function describeConvergence(report: ScenarioReport, max = 4): string {
  const { violations, boundMs } = report.convergence;
  const lines = violations
    .slice(0, max)
    .map((v) => `${v.key}: ${v.node} reads ${JSON.stringify(v.read)}, the Store holds ${JSON.stringify(v.store)} (still at the ${boundMs} ms bound)`);
  if (violations.length > max) lines.push(`... and ${violations.length - max} more`);
  return lines.join('\n');
}

export function describeCounters(report: ScenarioReport): string {
  return report.counters
    .filter((c) => !c.ok)
    .map((c) => `${c.key}: ${c.reason}`)
    .join('\n');
}

/** What went wrong in one scenario, witnesses included, for a person to read. */
export function describeScenario(report: ScenarioReport): string {
  return [describeLinearizability(report), describeConvergence(report), describeCounters(report)].filter((text) => text !== '').join('\n');
}
