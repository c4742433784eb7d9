import type { Operation } from './operation.js';

export interface CounterReport {
  key: string;
  /** The Store's final value (absent counts as 0). */
  final: number;
  /** Sum of the increments that succeeded. */
  acknowledged: number;
  /** Increments that may or may not have been applied. */
  indeterminate: number[];
  /** Increments that failed definitely: none of them may be in `final`. */
  failed: number;
  ok: boolean;
  reason?: string;
}

/** Most distinct sums tracked; increments are small integers, so this is never reached in practice. */
const MAX_SUMS = 1_000_000;

/**
 * Checks a counter key written with a sum merge function (`set(key, n)` adds `n`): the Store's
 * final value must be the acknowledged increments plus some subset of the indeterminate ones.
 * Failed increments must not count, and none may be lost or applied twice.
 */
export function checkCounter(key: string, increments: readonly Operation[], final: unknown): CounterReport {
  const writes = increments.filter((op) => op.key === key && op.type === 'write');
  for (const op of writes) if (typeof op.value !== 'number') throw new Error(`increment of "${key}" is not a number: ${JSON.stringify(op.value)}`);
  const acknowledged = writes.filter((op) => op.outcome === 'ok').reduce((sum, op) => sum + (op.value as number), 0);
  const indeterminate = writes.filter((op) => op.outcome === 'info').map((op) => op.value as number);
  const failed = writes.filter((op) => op.outcome === 'fail').length;
  const report = { key, final: 0, acknowledged, indeterminate, failed, ok: false };
  if (final !== undefined && typeof final !== 'number') return { ...report, reason: `the Store holds a non-number: ${JSON.stringify(final)}` };
  report.final = final ?? 0;
  const extra = report.final - acknowledged;
  if (reachableSums(indeterminate).has(extra)) return { ...report, ok: true };
  const most = indeterminate.filter((n) => n > 0).reduce((a, b) => a + b, 0);
  const reason =
    extra < 0
      ? `lost ${-extra} of the acknowledged increments (Store ${report.final}, acknowledged ${acknowledged})`
      : `${extra} more than acknowledged, which no subset of the ${indeterminate.length} indeterminate increments (at most ${most}) explains` +
        (failed > 0 ? `: some of the ${failed} failed increments took effect, or one was applied twice` : ': an increment was applied twice');
  return { ...report, reason };
}

function reachableSums(values: readonly number[]): Set<number> {
  let sums = new Set([0]);
  for (const value of values) {
    const next = new Set(sums);
    for (const sum of sums) next.add(sum + value);
    if (next.size > MAX_SUMS) throw new Error(`too many indeterminate increments to enumerate (${values.length})`);
    sums = next;
  }
  return sums;
}
