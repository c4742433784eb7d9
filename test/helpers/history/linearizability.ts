import { minimalWindow } from './minimal-window.js';
import { describeOperation, type Operation } from './operation.js';
import { ABSENT, prepareRegisterHistory, type ValueId } from './register-history.js';
import { searchRegister } from './register-search.js';

/** Why one key's history is not linearizable, with a small witness. */
export interface KeyViolation {
  key: string;
  /** One sentence a person can act on. */
  reason: string;
  /**
   * A subset of the key's operations that has no linearization on its own (see `minimalWindow`),
   * sorted by invoke; with a failed write that a read observed, that write is included.
   */
  window: Operation[];
  /** The operation the search could not place, and the register's value at that point. */
  stuck?: Operation;
  valueAtStuck?: unknown;
}

export interface LinearizabilityReport {
  /** `unknown` when some key ran out of budget and no key showed a violation. */
  verdict: 'linearizable' | 'violation' | 'unknown';
  /** Operations given, and those the search considered (minus failed/indeterminate reads, failed and unobserved writes). */
  opsRecorded: number;
  opsChecked: number;
  keys: number;
  violations: KeyViolation[];
  /** Keys whose search ran out of budget. */
  unknownKeys: string[];
  /** Configurations explored over all keys. */
  explored: number;
}

export interface LinearizabilityOptions {
  /** Configurations one key's search may explore before answering `unknown`. Default 2 000 000. */
  budget?: number;
  /** Skip shrinking violations to a minimal window (the window is then the search's frontier). */
  noShrink?: boolean;
}

/**
 * Checks a history of read/write register operations for linearizability, key by key: a history
 * is linearizable iff each key's sub-history is (locality, Herlihy & Wing), so the keys are
 * searched independently (P-compositionality) and the search never sees more than one register.
 * Every key starts absent; writes of one key must carry unique values.
 */
export function checkLinearizability(history: readonly Operation[], options: LinearizabilityOptions = {}): LinearizabilityReport {
  const budget = options.budget ?? 2_000_000;
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    let ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  const report: LinearizabilityReport = {
    verdict: 'linearizable',
    opsRecorded: history.length,
    opsChecked: 0,
    keys: byKey.size,
    violations: [],
    unknownKeys: [],
    explored: 0,
  };
  for (const [key, ops] of byKey) {
    const prepared = prepareRegisterHistory(key, ops);
    report.opsChecked += prepared.ops.length;
    if (prepared.unexplained !== undefined) {
      const { read, failedWrite } = prepared.unexplained;
      report.violations.push({
        key,
        reason:
          failedWrite === undefined
            ? `a read returned ${JSON.stringify(read.value)}, which no write invoked before the read completed wrote`
            : `a read returned ${JSON.stringify(read.value)}, the value of a write that failed definitely (${failedWrite.error ?? 'fail'}): a failed write took effect`,
        window: failedWrite === undefined ? [read] : [failedWrite, read],
      });
      continue;
    }
    const result = searchRegister(prepared.ops, budget);
    report.explored += result.explored;
    if (result.verdict === 'linearizable') continue;
    if (result.verdict === 'unknown') {
      report.unknownKeys.push(key);
      continue;
    }
    const { stuck, state, lastLinearized } = result.frontier;
    const window = options.noShrink
      ? [...lastLinearized.map((op) => op.source), stuck.source]
      : minimalWindow(key, ops, { cutoff: stuck.complete });
    report.violations.push({
      key,
      reason:
        `no linearization places ${stuck.source.process}'s ${stuck.kind} ${stuck.kind === 'write' ? 'of' : 'returning'} ${describeValue(stuck.value)} ` +
        `(the register held ${describeValue(state)} after the longest linearizable prefix, ${result.frontier.depth} operations)`,
      window,
      stuck: stuck.source,
      valueAtStuck: state === ABSENT ? undefined : JSON.parse(state),
    });
  }
  report.verdict = report.violations.length > 0 ? 'violation' : report.unknownKeys.length > 0 ? 'unknown' : 'linearizable';
  return report;
}

function describeValue(value: ValueId): string {
  return value === ABSENT ? 'nothing' : value;
}

/** A violation as lines of text, times relative to the window's first invoke. */
export function describeViolation(violation: KeyViolation): string {
  const origin = Math.min(...violation.window.map((op) => op.invoke));
  return [`${violation.key}: ${violation.reason}`, ...violation.window.map((op) => `  ${describeOperation(op, origin)}`)].join('\n');
}
