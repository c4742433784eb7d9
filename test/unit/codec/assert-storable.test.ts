import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertStorable } from '../../../lib/codec/assert-storable.js';
import type { Codec } from '../../../lib/codec/codec.interface.js';
import { JsonCodec } from '../../../lib/codec/json.codec.js';
import { SerializationError } from '../../../lib/common/warp.errors.js';
import { BinaryTestCodec } from '../../helpers/binary.codec.js';

describe('assertStorable', () => {
  it('refuses what the codec cannot round-trip, naming the key and the JSON path', () => {
    assert.throws(
      () => assertStorable(new JsonCodec(), 'cart:1', { items: [{ price: 1 }, { price: Number.NaN }] }),
      (error: unknown) =>
        error instanceof SerializationError &&
        error.key === 'cart:1' &&
        error.message === 'cannot store the value of key "cart:1": $.items[1].price is NaN' &&
        error.cause instanceof SerializationError,
    );
  });

  it('accepts what the codec round-trips', () => {
    assertStorable(new JsonCodec(), 'user:1', { name: 'Ada', at: new Date(0), tags: ['x'], gone: undefined });
  });

  it('falls back to encode for a codec without assertEncodable', () => {
    let encoded = 0;
    const codec: Codec = {
      encode: (value) => {
        encoded++;
        if (typeof value === 'string') throw new SerializationError('strings are not welcome');
        return '';
      },
      decode: () => undefined,
    };
    assertStorable(codec, 'k', 1);
    assert.throws(() => assertStorable(codec, 'k', 's'), /cannot store the value of key "k": strings are not welcome/);
    assert.equal(encoded, 2);
    assert.throws(() => assertStorable(new BinaryTestCodec(), 'k', { n: Infinity }), /\$\.n is Infinity/);
  });
});
