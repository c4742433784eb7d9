import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HybridLogicalClock, LOGICAL_TICKS_PER_MS } from '../../../lib/common/hlc.js';

describe('HybridLogicalClock', () => {
  it('issues strictly increasing timestamps even when the wall clock stands still', () => {
    const clock = new HybridLogicalClock(() => 1_000);
    const a = clock.now();
    const b = clock.now();
    const c = clock.now();
    assert.ok(a < b && b < c);
    assert.equal(HybridLogicalClock.toMillis(c), 1_000);
  });

  it('never goes backwards when the wall clock does', () => {
    let wall = 5_000;
    const clock = new HybridLogicalClock(() => wall);
    const before = clock.now();
    wall = 4_000;
    assert.ok(clock.now() > before);
  });

  it('orders a write after a causally earlier write from a node whose clock runs ahead', () => {
    const fast = new HybridLogicalClock(() => 10_000);
    const slow = new HybridLogicalClock(() => 1_000);
    const remote = fast.now();
    slow.observe(remote);
    assert.ok(slow.now() > remote);
  });

  it('ignores observed values that are not safe integers', () => {
    const clock = new HybridLogicalClock(() => 1);
    clock.observe(Number.NaN);
    clock.observe(Infinity);
    assert.equal(clock.now(), LOGICAL_TICKS_PER_MS);
  });
});
