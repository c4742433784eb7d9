import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonCodec } from '../../../lib/codec/json.codec.js';
import { SerializationError } from '../../../lib/warp.errors.js';

describe('JsonCodec', () => {
  const codec = new JsonCodec();

  it('round-trips nested JSON data', () => {
    const value = { a: [1, 'two', { three: null, four: true }], 'ключ 🔑': 'значение', n: -1.5e-7, empty: {} };
    assert.deepEqual(codec.decode(codec.encode(value)), value);
  });

  it('decodes a Buffer as UTF-8', () => {
    assert.deepEqual(codec.decode(Buffer.from('{"name":"Zoë"}', 'utf8')), { name: 'Zoë' });
  });

  it('encodes dates as ISO strings, as JSON does', () => {
    assert.equal((codec.decode(codec.encode({ at: new Date(0) })) as { at: string }).at, '1970-01-01T00:00:00.000Z');
  });

  for (const [what, value] of [
    ['a BigInt', 10n],
    ['a nested BigInt', { a: { b: [1n] } }],
    ['a function', () => 1],
    ['a nested function', { handler: () => 1 }],
    ['a function in an array', [1, () => 1]],
    ['a symbol', Symbol('s')],
    ['a nested symbol', { tag: Symbol('s') }],
    ['undefined at the top level', undefined],
    ['a value whose toJSON returns undefined', { toJSON: () => undefined }],
  ] as const) {
    it(`rejects ${what} with a SerializationError`, () => {
      assert.throws(() => codec.encode(value), SerializationError);
    });
  }

  it('names the property holding an unserializable value', () => {
    assert.throws(() => codec.encode({ user: { onSave: () => 1 } }), /function.*"onSave"/);
  });

  it('rejects a cyclic structure with a SerializationError', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    assert.throws(() => codec.encode(cyclic), (error: unknown) => error instanceof SerializationError && /circular/.test(error.message));
  });

  it('accepts a value shared twice without a cycle', () => {
    const shared = { x: 1 };
    assert.deepEqual(codec.decode(codec.encode({ a: shared, b: shared })), { a: { x: 1 }, b: { x: 1 } });
  });

  it('rejects malformed JSON with a SerializationError', () => {
    assert.throws(() => codec.decode('{"a":'), SerializationError);
  });

  describe('prototype pollution', () => {
    for (const payload of [
      '{"__proto__":{"polluted":true},"ok":1}',
      '{"nested":[{"__proto__":{"polluted":true}}],"ok":1}',
      '{"\\u005f_proto__":{"polluted":true},"ok":1}',
      '{"constructor":{"prototype":{"polluted":true}},"ok":1}',
      '{"a":{"\\u0063onstructor":{"prototype":{"polluted":true}}},"ok":1}',
    ]) {
      it(`neutralises ${payload}`, () => {
        const decoded = codec.decode(payload) as Record<string, any>;
        assert.equal(decoded.ok, 1);
        const merged = Object.assign({}, decoded, decoded.nested?.[0], decoded.a);
        assert.equal(merged.polluted, undefined);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(JSON.stringify(decoded).includes('polluted'), false);
      });
    }

    it('keeps a harmless key named constructor', () => {
      assert.deepEqual(codec.decode('{"constructor":"Car","x":"\\u00e9"}'), { constructor: 'Car', x: 'é' });
    });
  });
});
