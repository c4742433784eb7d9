import type { Operation } from './operation.js';
import { prepareRegisterHistory, valueId } from './register-history.js';
import { searchRegister } from './register-search.js';

/**
 * Shrinks one key's non-linearizable history to a small set of operations that is still not
 * linearizable on its own: a witness a person can read.
 *
 * Only removals that cannot turn a linearizable history into a violation are tried, so the
 * witness is sound (if it has no linearization, neither has the full history):
 * - any read (dropping a read only removes a constraint);
 * - a write whose value no remaining `ok` read returned (values are unique: in any linearization
 *   no read sits between it and the next write, so dropping it changes no read's answer). A chunk
 *   keeps the writes its remaining reads still observe.
 *
 * Chunks are removed delta-debugging style (halves, then quarters, ... then single operations);
 * each candidate is re-checked with a search bounded by `budgetPerCheck`, and a check that runs out
 * of budget keeps the chunk. Stops after `totalBudget` explored configurations.
 *
 * @param cutoff drop everything invoked after this time first (the point where the full search got
 *   stuck), when that alone keeps the violation.
 */
export function minimalWindow(
  key: string,
  operations: readonly Operation[],
  options: { cutoff?: number; budgetPerCheck?: number; totalBudget?: number } = {},
): Operation[] {
  const budgetPerCheck = options.budgetPerCheck ?? 50_000;
  let remaining = options.totalBudget ?? 500_000;

  const stillViolates = (ops: readonly Operation[]): boolean => {
    if (remaining <= 0) return false;
    const prepared = prepareRegisterHistory(key, ops);
    if (prepared.unexplained !== undefined) return true;
    const result = searchRegister(prepared.ops, Math.min(budgetPerCheck, remaining));
    remaining -= result.explored;
    return result.verdict === 'violation';
  };
  /** `ops` without `removed`, except the writes some remaining read returned; undefined when that removes nothing. */
  const without = (ops: readonly Operation[], removed: ReadonlySet<Operation>): Operation[] | undefined => {
    const observed = new Set(ops.filter((op) => op.type === 'read' && op.outcome === 'ok' && !removed.has(op)).map((op) => valueId(op.value)));
    const kept = ops.filter((op) => !removed.has(op) || (op.type === 'write' && observed.has(valueId(op.value))));
    return kept.length < ops.length ? kept : undefined;
  };

  let current = [...operations];
  if (options.cutoff !== undefined) {
    const cut = without(current, new Set(current.filter((op) => op.invoke > options.cutoff!)));
    if (cut !== undefined && stillViolates(cut)) current = cut;
  }
  // A write becomes removable only once its readers are gone: repeat until a round removes nothing.
  for (let before = Infinity; current.length < before && remaining > 0; ) {
    before = current.length;
    for (let chunk = Math.ceil(current.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
      for (let start = 0; start < current.length && remaining > 0; ) {
        const candidate = without(current, new Set(current.slice(start, start + chunk)));
        if (candidate !== undefined && candidate.length > 0 && stillViolates(candidate)) current = candidate;
        else start += chunk;
      }
    }
  }
  return current.sort((a, b) => a.invoke - b.invoke);
}
