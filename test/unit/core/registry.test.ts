import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRegistry } from '../../../lib/common/registry.js';
import { Mode } from '../../../lib/common/mode.js';
import { InvalidKeyError, InvalidOptionsError } from '../../../lib/common/warp.errors.js';

describe('KeyRegistry', () => {
  it('prefers an exact key over any pattern', () => {
    const registry = new KeyRegistry();
    registry.register('user:*', Mode.EventualDistributed);
    registry.register('user:1', Mode.StrongLocal);
    assert.equal(registry.resolve('user:1')?.mode, Mode.StrongLocal);
    assert.equal(registry.resolve('user:2')?.mode, Mode.EventualDistributed);
  });

  it('picks the most specific pattern whatever the registration order', () => {
    const registry = new KeyRegistry();
    registry.register('user:admin:*', Mode.StrongDistributed);
    registry.register('user:*', Mode.EventualDistributed);
    assert.equal(registry.resolve('user:admin:7')?.pattern, 'user:admin:*');
    assert.equal(registry.resolve('user:7')?.pattern, 'user:*');
  });

  it('lets a trailing wildcard span segments and an inner wildcard match one segment', () => {
    const registry = new KeyRegistry();
    registry.register('tenant:*:user', Mode.StrongLocal);
    registry.register('cart:*', Mode.StrongLocal);
    assert.equal(registry.resolve('tenant:a:user')?.pattern, 'tenant:*:user');
    assert.equal(registry.resolve('tenant:a:b:user'), undefined);
    assert.equal(registry.resolve('cart:1:items')?.pattern, 'cart:*');
  });

  it('treats regular-expression characters in patterns literally', () => {
    const registry = new KeyRegistry();
    registry.register('a.b(c)+*', Mode.StrongLocal);
    assert.equal(registry.resolve('a.b(c)+x')?.pattern, 'a.b(c)+*');
    assert.equal(registry.resolve('aXb(c)+x'), undefined);
  });

  it('forgets memoized resolutions when registrations change', () => {
    const registry = new KeyRegistry();
    registry.register('user:*', Mode.StrongLocal);
    assert.ok(registry.resolve('user:1'));
    registry.unregister('user:*');
    assert.equal(registry.resolve('user:1'), undefined);
    registry.register('user:*', Mode.StrongDistributed);
    assert.equal(registry.resolve('user:1')?.mode, Mode.StrongDistributed);
  });

  it('keeps resolutions of hot keys across the memo\'s turnover, and forgets cold ones', () => {
    const registry = new KeyRegistry();
    registry.register('user:*', Mode.StrongLocal);
    registry.resolve('user:hot');
    registry.resolve('user:cold');
    for (let i = 0; i < 30_000; i++) {
      registry.resolve(`user:${i}`);
      if (i % 5_000 === 0) assert.ok(registry.known('user:hot'), `hot key remembered after ${i} others`);
    }
    assert.equal(registry.known('user:hot')?.pattern, 'user:*');
    assert.equal(registry.known('user:cold'), undefined, 'a key not met for two generations is forgotten');
    assert.equal(registry.resolve('user:cold')?.pattern, 'user:*');
  });

  it('replaces an earlier registration of the same key', () => {
    const registry = new KeyRegistry();
    registry.register('k', Mode.StrongLocal, { ttl: 5 });
    registry.register('k', Mode.EventualDistributed, { ttl: 10 });
    assert.deepEqual([registry.resolve('k')?.mode, registry.resolve('k')?.ttl], [Mode.EventualDistributed, 10]);
    assert.equal(registry.all().length, 1);
  });

  it('rejects bad keys, modes, ttls and merge functions with typed errors', () => {
    const registry = new KeyRegistry();
    assert.throws(() => registry.register('', Mode.StrongLocal), InvalidKeyError);
    assert.throws(() => registry.register('x'.repeat(1025), Mode.StrongLocal), InvalidKeyError);
    assert.throws(() => registry.register(42 as unknown as string, Mode.StrongLocal), InvalidKeyError);
    assert.throws(() => registry.register('k', 'fast' as Mode), InvalidOptionsError);
    assert.throws(() => registry.register('k', Mode.StrongLocal, { ttl: -1 }), InvalidOptionsError);
    assert.throws(() => registry.register('k', Mode.StrongLocal, { ttl: Number.NaN }), InvalidOptionsError);
    assert.throws(() => registry.register('k', Mode.StrongLocal, { merge: 'sum' as never }), InvalidOptionsError);
    assert.throws(() => registry.register('a**', Mode.StrongLocal), InvalidKeyError);
  });

  it('remembers only valid keys, so a known key needs no check and an invalid one resolved from a store listing is never vouched for', () => {
    const registry = new KeyRegistry();
    registry.register('user:*', Mode.StrongLocal);
    const oversized = `user:${'x'.repeat(2000)}`;
    assert.equal(registry.resolve(oversized)?.pattern, 'user:*');
    assert.equal(registry.known(oversized), undefined);
    assert.equal(registry.known('user:1'), undefined, 'not met yet');
    assert.equal(registry.resolve('user:1')?.pattern, 'user:*');
    assert.equal(registry.known('user:1')?.pattern, 'user:*');
    registry.register('user:1', Mode.EventualDistributed);
    assert.equal(registry.known('user:1'), undefined, 'forgotten on every registration');
  });
});
