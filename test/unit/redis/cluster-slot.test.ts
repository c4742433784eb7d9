import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defeatsHashTags, hashTagOfSlot, slotOf } from '../../../lib/redis/cluster-slot.js';

describe('Redis Cluster slots', () => {
  it('computes slots as Redis does, hash tags included', () => {
    // Values from CLUSTER KEYSLOT on Redis 7.
    assert.equal(slotOf('foo'), 12182);
    assert.equal(slotOf('{user1000}.following'), slotOf('user1000'));
    assert.equal(slotOf('foo{}{bar}'), slotOf('foo{}{bar}')); // empty first tag: the whole key
    assert.notEqual(slotOf('foo{}{bar}'), slotOf('bar'));
  });

  it('finds for every slot a hash tag that puts any key in that slot', () => {
    for (let slot = 0; slot < 16_384; slot++) {
      const tag = hashTagOfSlot(slot);
      assert.match(tag, /^[0-9a-z]{1,4}$/);
      assert.equal(slotOf(`fence:{${tag}}key{with}braces`), slot, `slot ${slot}`);
    }
  });

  it('derives the same tag for a slot in every process: the first base-36 number hashing to it', () => {
    assert.equal(hashTagOfSlot(slotOf('0')), '0');
    assert.equal(hashTagOfSlot(slotOf('z')), 'z');
  });

  it('tells which key prefixes leave the hash tag to text after them', () => {
    for (const prefix of ['', 'app:', '{app}:', '}x{y}', 'a{b}{']) assert.equal(defeatsHashTags(prefix), false, prefix);
    for (const prefix of ['app{', '{}', 'a{}{b}:', 'x}{']) assert.equal(defeatsHashTags(prefix), true, prefix);
  });
});
