import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkLinearizability, describeViolation } from '../../helpers/history/linearizability.js';
import type { Operation, Outcome } from '../../helpers/history/operation.js';

/** One step of a sequential execution, and how the client saw it. */
interface Step {
  key: string;
  kind: 'read' | 'write';
  /** How long before / after its linearization point the client invoked it / saw it complete. */
  before: number;
  after: number;
  /** `lost`: an indeterminate write that never took effect. */
  outcome: Outcome | 'lost';
}

const GAP = 10;

/**
 * A history built from a sequential execution: step i takes effect at i * GAP, and the client's
 * interval is jittered around that point, so the history is linearizable by construction. Failed
 * writes and lost indeterminate writes never take effect; indeterminate writes that did take
 * effect have no completion; failed and indeterminate reads carry garbage (the checker drops them).
 */
function historyOf(steps: readonly Step[]): { history: Operation[]; correct: Map<Operation, unknown> } {
  const state = new Map<string, unknown>();
  const history: Operation[] = [];
  const correct = new Map<Operation, unknown>();
  steps.forEach((step, i) => {
    const at = i * GAP;
    const invoke = at - step.before;
    const complete = at + step.after;
    const process = `c${i % 4}`;
    if (step.kind === 'write') {
      const value = `${step.key}${i}`;
      const applied = step.outcome === 'ok' || step.outcome === 'info';
      if (applied) state.set(step.key, value);
      const outcome = step.outcome === 'lost' ? 'info' : step.outcome;
      history.push({ process, key: step.key, type: 'write', value, invoke, complete: outcome === 'info' ? undefined : complete, outcome });
    } else {
      const outcome = step.outcome === 'lost' ? 'info' : step.outcome;
      const value = outcome === 'ok' ? state.get(step.key) : 'garbage';
      const op: Operation = { process, key: step.key, type: 'read', value, invoke, complete: outcome === 'info' ? undefined : complete, outcome };
      history.push(op);
      if (outcome === 'ok') correct.set(op, value);
    }
  });
  return { history, correct };
}

const step = (maxJitter: number, outcomes: Array<Outcome | 'lost'>) =>
  fc.record({
    key: fc.constantFrom('a', 'b', 'c'),
    kind: fc.constantFrom<'read' | 'write'>('read', 'write'),
    before: fc.integer({ min: 0, max: maxJitter }),
    after: fc.integer({ min: 0, max: maxJitter }),
    outcome: fc.constantFrom(...outcomes),
  });

/**
 * The definition, by brute force, for tiny histories: some subset of the indeterminate writes plus
 * every ok operation has an order that respects real time (x before y whenever x completed before
 * y was invoked) in which every read returns the latest write.
 */
function bruteForceLinearizable(history: readonly Operation[]): boolean {
  const mandatory = history.filter((op) => op.outcome === 'ok');
  const optional = history.filter((op) => op.type === 'write' && op.outcome === 'info');
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const ops = [...mandatory, ...optional.filter((_, i) => mask & (1 << i))];
    if (somePermutation(ops, [], new Set())) return true;
  }
  return false;
}

function somePermutation(ops: readonly Operation[], order: Operation[], used: Set<Operation>): boolean {
  if (order.length === ops.length) return replays(order);
  for (const op of ops) {
    if (used.has(op)) continue;
    // op may come next only if no operation left over completed before op was invoked.
    if (ops.some((other) => !used.has(other) && other !== op && (other.complete ?? Infinity) < op.invoke)) continue;
    used.add(op);
    order.push(op);
    if (somePermutation(ops, order, used)) return true;
    order.pop();
    used.delete(op);
  }
  return false;
}

function replays(order: readonly Operation[]): boolean {
  let value: unknown;
  for (const op of order) {
    if (op.type === 'write') value = op.value;
    else if (op.value !== value) return false;
  }
  return true;
}

describe('checkLinearizability on generated histories (fast-check)', () => {
  it('accepts every history built from a sequential execution with jittered intervals', () => {
    fc.assert(
      fc.property(fc.array(step(40, ['ok', 'ok', 'ok', 'ok', 'info', 'lost', 'fail']), { maxLength: 80 }), (steps) => {
        const { history } = historyOf(steps);
        const report = checkLinearizability(history);
        assert.equal(report.verdict, 'linearizable', report.violations.map(describeViolation).join('\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('flags a wrong read in a history without concurrency, with a window that is itself a violation', () => {
    const history = fc
      .array(step(4, ['ok', 'ok', 'ok', 'fail']), { minLength: 1, maxLength: 40 })
      .map(historyOf)
      .filter(({ correct }) => correct.size > 0);
    fc.assert(
      fc.property(history, fc.nat(), fc.nat(), ({ history, correct }, readPick, valuePick) => {
        const reads = [...correct.keys()];
        const victim = reads[readPick % reads.length];
        const written = history.filter((op) => op.key === victim.key && op.type === 'write').map((op) => op.value);
        const alternatives = [undefined, ...written, 'never-written'].filter((value) => value !== correct.get(victim));
        victim.value = alternatives[valuePick % alternatives.length];
        const report = checkLinearizability(history);
        assert.equal(report.verdict, 'violation');
        assert.deepEqual(report.violations.map((v) => v.key), [victim.key]);
        assert.equal(checkLinearizability(report.violations[0].window).verdict, 'violation', describeViolation(report.violations[0]));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a brute-force search on tiny arbitrary histories', () => {
    const interval = fc.record({ invoke: fc.integer({ min: 0, max: 20 }), length: fc.integer({ min: 0, max: 10 }) });
    const writes = fc.array(fc.record({ interval, outcome: fc.constantFrom<Outcome>('ok', 'ok', 'info', 'fail') }), { maxLength: 3 });
    const reads = fc.array(
      fc.record({ interval, value: fc.constantFrom(undefined, 'w0', 'w1', 'w2', 'never'), outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'info') }),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(writes, reads, (ws, rs) => {
        const history: Operation[] = [
          ...ws.map(({ interval: { invoke, length }, outcome }, i): Operation => ({
            process: `w${i}`,
            key: 'k',
            type: 'write',
            value: `w${i}`,
            invoke,
            complete: outcome === 'info' ? undefined : invoke + length,
            outcome,
          })),
          ...rs.map(({ interval: { invoke, length }, value, outcome }, i): Operation => ({
            process: `r${i}`,
            key: 'k',
            type: 'read',
            value,
            invoke,
            complete: outcome === 'info' ? undefined : invoke + length,
            outcome,
          })),
        ];
        const expected = bruteForceLinearizable(history) ? 'linearizable' : 'violation';
        assert.equal(checkLinearizability(history).verdict, expected, JSON.stringify(history));
      }),
      { numRuns: 2000 },
    );
  });
});
