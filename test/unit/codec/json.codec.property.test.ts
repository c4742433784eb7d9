import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsonCodec } from '../../../lib/codec/json.codec.js';
import { SerializationError } from '../../../lib/common/warp.errors.js';

const codec = new JsonCodec();
const RUNS = { numRuns: 500 };

/** Keys the decoder removes on purpose (prototype pollution), so they cannot round-trip. */
function hasPollutingKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const [key, child] of Object.entries(value)) {
    if (key === '__proto__' || key === 'constructor' || hasPollutingKey(child)) return true;
  }
  return false;
}

/** `-0` is stored as `0` (documented): the one number JSON changes. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, withoutNegativeZero(child)]));
  }
  return value;
}

/** Values JSON would store as something else. */
const unencodable = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, undefined, Symbol('s'), () => 1, new Map(), new Set([1]), new Uint8Array(1), Object(1n), new Number(Number.NaN)),
  fc.bigInt(),
);

/** A step into a container: an object member (identifier names: their path segment is `.name`) or an array index. */
const step = fc.oneof(
  fc.record({ member: fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/) }),
  fc.record({ index: fc.nat({ max: 3 }) }),
);

/** Puts `leaf` at `steps` inside containers (arrays padded with numbers), and says where: `$.a[2].b`. */
function nest(steps: ReadonlyArray<{ member?: string; index?: number }>, leaf: unknown): { value: unknown; path: string } {
  let value = leaf;
  for (const s of [...steps].reverse()) {
    if (s.member !== undefined) value = { before: 1, [s.member]: value };
    else value = [...Array.from({ length: s.index! }, (_, i) => i), value, 'after'];
  }
  const path = steps.map((s) => (s.member !== undefined ? `.${s.member}` : `[${s.index}]`)).join('');
  return { value, path: `$${path}` };
}

describe('JsonCodec (fast-check)', () => {
  it('round-trips every JSON value exactly (but -0, stored as 0)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(!hasPollutingKey(value));
        codec.assertEncodable(value);
        assert.deepEqual(codec.decode(codec.encode(value)), withoutNegativeZero(value));
      }),
      RUNS,
    );
  });

  it('refuses a value JSON cannot round-trip at any depth, naming its path', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 6 }), unencodable, (steps, leaf) => {
        const { value, path } = nest(steps, leaf);
        // An `undefined` object member is dropped, which round-trips: it is no error there.
        const dropped = leaf === undefined && steps.length > 0 && 'member' in steps.at(-1)!;
        for (const check of [() => codec.encode(value), () => codec.assertEncodable(value)]) {
          if (dropped) {
            check();
            continue;
          }
          assert.throws(check, (error: unknown) => {
            assert.ok(error instanceof SerializationError);
            assert.ok(error.message.startsWith(`${path} is `), `"${error.message}" names ${path}`);
            return true;
          });
        }
      }),
      RUNS,
    );
  });

  it('accepts exactly what it can encode: assertEncodable and encode agree on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withDate: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true }), (value) => {
        const outcome = (fn: () => unknown): string => {
          try {
            fn();
            return 'ok';
          } catch (error) {
            assert.ok(error instanceof SerializationError, `not a SerializationError: ${String(error)}`);
            return error.message;
          }
        };
        assert.equal(outcome(() => codec.assertEncodable(value)), outcome(() => codec.encode(value)));
      }),
      RUNS,
    );
  });
});
