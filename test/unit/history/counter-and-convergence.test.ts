import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awaitConvergence } from '../../helpers/history/convergence.js';
import { checkCounter } from '../../helpers/history/counter.js';
import type { Operation, Outcome } from '../../helpers/history/operation.js';

function increment(by: number, outcome: Outcome): Operation {
  return { process: 'p', key: 'cnt:1', type: 'write', value: by, invoke: 0, complete: outcome === 'info' ? undefined : 1, outcome };
}

describe('checkCounter', () => {
  const history = [increment(1, 'ok'), increment(1, 'ok'), increment(2, 'info'), increment(5, 'info'), increment(1, 'fail')];

  it('accepts the acknowledged increments plus any subset of the indeterminate ones', () => {
    for (const final of [2, 4, 7, 9]) assert.equal(checkCounter('cnt:1', history, final).ok, true, `final ${final}`);
  });

  it('flags a lost acknowledged increment', () => {
    const report = checkCounter('cnt:1', history, 1);
    assert.equal(report.ok, false);
    assert.match(report.reason!, /lost 1/);
  });

  it('flags a failed increment that took effect (no subset of the indeterminate ones explains it)', () => {
    const report = checkCounter('cnt:1', history, 3);
    assert.equal(report.ok, false);
    assert.match(report.reason!, /failed increments took effect/);
  });

  it('counts an absent Store value as zero', () => {
    assert.equal(checkCounter('cnt:1', [increment(1, 'fail')], undefined).ok, true);
    assert.equal(checkCounter('cnt:1', [increment(1, 'ok')], undefined).ok, false);
  });
});

describe('awaitConvergence', () => {
  it('reports the nodes that still disagree with the Store at the bound', async () => {
    const report = await awaitConvergence({
      keys: ['ev:1', 'ev:2'],
      nodes: ['a', 'b'],
      readNode: async (node, key) => (node === 'b' && key === 'ev:2' ? 'stale' : `${key}-v`),
      readStore: async (key) => `${key}-v`,
      boundMs: 60,
      pollMs: 10,
    });
    assert.equal(report.converged, false);
    assert.deepEqual(report.violations, [{ key: 'ev:2', node: 'b', read: 'stale', store: 'ev:2-v' }]);
    assert.ok(report.elapsedMs >= 60);
  });

  it('returns as soon as every node agrees with the Store', async () => {
    let reads = 0;
    const report = await awaitConvergence({
      keys: ['ev:1'],
      nodes: ['a'],
      readNode: async () => (++reads < 3 ? 'old' : 'new'),
      readStore: async () => 'new',
      boundMs: 5000,
      pollMs: 1,
    });
    assert.equal(report.converged, true);
    assert.equal(reads, 3);
  });

  it('counts a node whose read fails as not converged', async () => {
    const report = await awaitConvergence({
      keys: ['ev:1'],
      nodes: ['a'],
      readNode: async () => Promise.reject(new Error('node-a exited')),
      readStore: async () => 'v',
      boundMs: 0,
    });
    assert.equal(report.converged, false);
    assert.deepEqual(report.violations[0].read, { error: 'Error: node-a exited' });
  });
});
