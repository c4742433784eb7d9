import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonCodec } from '../../../lib/codec/json.codec.js';
import { SerializationError } from '../../../lib/common/warp.errors.js';

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

  it('drops object members holding undefined, as JSON does (reading them gives undefined either way)', () => {
    assert.deepEqual(codec.decode(codec.encode({ a: 1, gone: undefined, nested: { gone: undefined } })), { a: 1, nested: {} });
  });

  it('stores objects with toJSON as its result', () => {
    assert.deepEqual(codec.decode(codec.encode({ price: { toJSON: () => '4.20' } })), { price: '4.20' });
  });

  for (const [what, value, message] of [
    ['NaN', Number.NaN, '$ is NaN'],
    ['a nested NaN', { items: [{ price: 1 }, { price: 2 }, { price: 3 }, { price: Number.NaN }] }, '$.items[3].price is NaN'],
    ['Infinity', { total: Infinity }, '$.total is Infinity'],
    ['-Infinity', [[-Infinity]], '$[0][0] is -Infinity'],
    ['a boxed NaN', { n: new Number(Number.NaN) }, '$.n is NaN'],
    ['a boxed BigInt', { n: Object(1n) }, '$.n is a BigInt'],
    ['a boxed symbol', { s: Object(Symbol('s')) }, '$.s is a symbol'],
    ['a BigInt', 10n, '$ is a BigInt'],
    ['a nested BigInt', { a: { b: [1n] } }, '$.a.b[0] is a BigInt'],
    ['a function', () => 1, '$ is a function'],
    ['a nested function', { handler: () => 1 }, '$.handler is a function'],
    ['a function in an array', [1, () => 1], '$[1] is a function'],
    ['a symbol', Symbol('s'), '$ is a symbol'],
    ['a nested symbol', { tag: Symbol('s') }, '$.tag is a symbol'],
    ['undefined at the top level', undefined, '$ is undefined'],
    ['undefined in an array', { list: [1, undefined] }, '$.list[1] is undefined (JSON would store null)'],
    ['a hole in an array', { list: [1, , 3] }, '$.list[1] is undefined (JSON would store null)'],
    ['a value whose toJSON returns undefined', { toJSON: () => undefined }, '$ is undefined'],
    ['a Map', { byId: new Map([[1, 'a']]) }, '$.byId is a Map (JSON would store {})'],
    ['a Set', { tags: new Set(['a']) }, '$.tags is a Set (JSON would store {})'],
    ['a typed array', { bytes: new Uint8Array([1, 2]) }, '$.bytes is a Uint8Array (JSON cannot store its bytes)'],
    ['a member whose name is not an identifier', { 'odd key': { 'a.b': Number.NaN } }, '$["odd key"]["a.b"] is NaN'],
  ] as const) {
    it(`rejects ${what} with a SerializationError naming its JSON path`, () => {
      for (const check of [() => codec.encode(value), () => codec.assertEncodable(value)]) {
        assert.throws(check, (error: unknown) => {
          assert.ok(error instanceof SerializationError, String(error));
          assert.ok(error.message.startsWith(message), `${error.message} starts with ${message}`);
          return true;
        });
      }
    });
  }

  it('rejects a cyclic structure, naming where the circle closes and what it points back to', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    for (const check of [() => codec.encode(cyclic), () => codec.assertEncodable(cyclic)]) {
      assert.throws(check, (error: unknown) => error instanceof SerializationError && error.message === '$.self.back is a circular reference to $');
    }
  });

  it('reports a throwing toJSON as a SerializationError with the error as cause', () => {
    const boom = new Error('boom');
    const value = { a: { toJSON: () => { throw boom; } } };
    for (const check of [() => codec.encode(value), () => codec.assertEncodable(value)]) {
      assert.throws(check, (error: unknown) => error instanceof SerializationError && /boom/.test(error.message) && error.cause === boom);
    }
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
