import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeakerMode, Mode } from '../../../lib/common/mode.js';
import { KeyRegistry } from '../../../lib/common/registry.js';

describe('mode strength (what a decorator may not lower)', () => {
  it('orders StrongLocal < EventualDistributed < StrongDistributed', () => {
    const order = [Mode.StrongLocal, Mode.EventualDistributed, Mode.StrongDistributed];
    for (const [i, a] of order.entries()) {
      for (const [j, b] of order.entries()) assert.equal(isWeakerMode(a, b), i < j, `${a} weaker than ${b}`);
    }
  });
});

describe('KeyRegistry.covering', () => {
  it('finds the registration governing every key of a template pattern, never memoizing', () => {
    const registry = new KeyRegistry();
    registry.register('user:*', Mode.StrongLocal);
    registry.register('tenant:*:user', Mode.EventualDistributed);
    registry.register('config', Mode.StrongLocal);
    assert.equal(registry.covering('user:*')?.pattern, 'user:*');
    assert.equal(registry.covering('user:*:address')?.pattern, 'user:*');
    assert.equal(registry.covering('tenant:*:user')?.pattern, 'tenant:*:user');
    assert.equal(registry.covering('config')?.pattern, 'config');
    assert.equal(registry.covering('order:*'), undefined);
    assert.equal(registry.covering('tenant:*'), undefined, 'an inner wildcard covers one segment only');
  });
});
