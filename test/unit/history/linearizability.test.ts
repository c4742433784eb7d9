import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLinearizability, describeViolation } from '../../helpers/history/linearizability.js';
import type { Operation, Outcome } from '../../helpers/history/operation.js';

/** A write of `value` to key `k` by `p`, between `invoke` and `complete`. */
function write(value: unknown, invoke: number, complete: number | undefined, outcome: Outcome = 'ok', key = 'k', process = 'p'): Operation {
  return { process, key, type: 'write', value, invoke, complete, outcome };
}

function read(value: unknown, invoke: number, complete: number | undefined, outcome: Outcome = 'ok', key = 'k', process = 'q'): Operation {
  return { process, key, type: 'read', value, invoke, complete, outcome };
}

function verdict(history: Operation[]): string {
  return checkLinearizability(history).verdict;
}

describe('checkLinearizability on hand-made register histories', () => {
  it('accepts an empty history and a read of an absent key', () => {
    assert.equal(verdict([]), 'linearizable');
    assert.equal(verdict([read(undefined, 0, 1)]), 'linearizable');
  });

  it('accepts a read that returns the last completed write', () => {
    assert.equal(verdict([write('a', 0, 10), write('b', 20, 30), read('b', 40, 50)]), 'linearizable');
  });

  it('flags a stale read after a completed write, with the three operations as its window', () => {
    const old = write('a', 0, 10);
    const newer = write('b', 20, 30);
    const stale = read('a', 40, 50);
    const report = checkLinearizability([old, newer, read('b', 35, 38), stale, read('b', 60, 70)]);
    assert.equal(report.verdict, 'violation');
    assert.equal(report.violations.length, 1);
    assert.deepEqual(report.violations[0].window, [old, newer, stale], describeViolation(report.violations[0]));
    assert.equal(report.violations[0].key, 'k');
  });

  it('flags a read of the absent value after a write completed', () => {
    const report = checkLinearizability([write('a', 0, 10), read(undefined, 20, 30)]);
    assert.equal(report.verdict, 'violation');
    assert.equal(report.violations[0].window.length, 2);
  });

  it('accepts reads overlapping a write that return the old value, then the new one', () => {
    assert.equal(verdict([write('a', 0, 100), read(undefined, 10, 20), read('a', 30, 40), read('a', 50, 60)]), 'linearizable');
  });

  it('flags a new value followed by the old one during one write (a new-old inversion)', () => {
    assert.equal(verdict([write('a', 0, 100), read('a', 10, 20), read(undefined, 30, 40)]), 'violation');
  });

  it('accepts two concurrent writes in either order, as long as reads agree on it', () => {
    const writes = [write('a', 0, 50), write('b', 0, 50, 'ok', 'k', 'p2')];
    assert.equal(verdict([...writes, read('a', 60, 70), read('a', 80, 90)]), 'linearizable');
    assert.equal(verdict([...writes, read('b', 60, 70), read('b', 80, 90)]), 'linearizable');
    assert.equal(verdict([...writes, read('a', 60, 70), read('b', 80, 90)]), 'violation');
  });

  it('treats operations that touch the same instant as concurrent', () => {
    assert.equal(verdict([write('a', 0, 10), read(undefined, 10, 20)]), 'linearizable');
  });

  it('flags a read of a value whose write failed definitely, naming that write', () => {
    const failed = { ...write('a', 0, 10, 'fail'), error: 'QuorumNotReachedError: missing node-2' };
    const report = checkLinearizability([failed, read('a', 20, 30)]);
    assert.equal(report.verdict, 'violation');
    assert.match(report.violations[0].reason, /failed definitely.*QuorumNotReachedError/);
    assert.deepEqual(report.violations[0].window.map((op) => op.type), ['write', 'read']);
  });

  it('accepts a failed write nobody observed: it changed nothing', () => {
    assert.equal(verdict([write('a', 0, 10), write('b', 20, 30, 'fail'), read('a', 40, 50)]), 'linearizable');
  });

  it('lets an indeterminate write take effect late, or never, but only once and not before its invoke', () => {
    const lost = write('b', 20, undefined, 'info');
    const base = [write('a', 0, 10), lost];
    assert.equal(verdict([...base, read('a', 100, 110)]), 'linearizable', 'never took effect');
    assert.equal(verdict([...base, read('a', 100, 110), read('b', 200, 210)]), 'linearizable', 'took effect late');
    assert.equal(verdict([...base, read('b', 100, 110), read('a', 200, 210)]), 'violation', 'took effect, then vanished');
    assert.equal(verdict([write('a', 0, 10), read('b', 12, 15), write('b', 20, undefined, 'info')]), 'violation', 'observed before its invoke');
  });

  it('ignores reads that failed or are indeterminate', () => {
    assert.equal(verdict([write('a', 0, 10), read('zzz', 20, 30, 'fail'), read('zzz', 20, undefined, 'info')]), 'linearizable');
  });

  it('checks each key on its own and reports only the broken one', () => {
    const report = checkLinearizability([
      write('a', 0, 10, 'ok', 'x'),
      read('a', 20, 30, 'ok', 'x'),
      write('a', 0, 10, 'ok', 'y'),
      write('b', 12, 15, 'ok', 'y'),
      read('a', 20, 30, 'ok', 'y'),
    ]);
    assert.equal(report.keys, 2);
    assert.deepEqual(report.violations.map((v) => v.key), ['y']);
  });

  it('answers unknown instead of searching past its budget', () => {
    // 12 concurrent writes and a read no order can explain (value never written after them all).
    const history = Array.from({ length: 12 }, (_, i) => write(`w${i}`, 0, 100, 'ok', 'k', `p${i}`));
    history.push(read('w0', 200, 210), read('w1', 220, 230));
    assert.equal(checkLinearizability(history, { budget: 50 }).verdict, 'unknown');
    assert.equal(checkLinearizability(history).verdict, 'violation');
  });

  it('rejects a history whose writes of one key repeat a value', () => {
    assert.throws(() => checkLinearizability([write('a', 0, 1), write('a', 2, 3)]), /unique values/);
  });
});
