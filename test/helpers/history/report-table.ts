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

/** What went wrong in one scenario, witnesses included, for a person to read. */
export function describeScenario(report: ScenarioReport, maxWitnesses = 2): string {
  const lines: string[] = [];
  for (const violation of report.linearizability.violations.slice(0, maxWitnesses)) lines.push(describeViolation(violation));
  if (report.linearizability.violations.length > maxWitnesses) lines.push(`... and ${report.linearizability.violations.length - maxWitnesses} more keys`);
  for (const v of report.convergence.violations.slice(0, 4)) {
    lines.push(`${v.key}: ${v.node} reads ${JSON.stringify(v.read)}, the Store holds ${JSON.stringify(v.store)} (${report.convergence.boundMs} ms after the writes stopped)`);
  }
  for (const counter of report.counters.filter((c) => !c.ok)) lines.push(`${counter.key}: ${counter.reason}`);
  return lines.join('\n');
}
