import { SerializationError } from '../common/warp.errors.js';
import type { Codec } from './codec.interface.js';
import { findUnencodable, problemOf } from './json-value-check.js';

/**
 * Cheap pre-check for keys that could pollute a prototype once the decoded object is merged or
 * spread: `__proto__`, `constructor`, or any `\u` escape (which could spell either of them).
 * Plain data rarely contains these, so the common decode is a single `JSON.parse`.
 */
const SUSPICIOUS = /__proto__|constructor|\\u/;

/** Thrown by the encoding replacer to stop `JSON.stringify` at the first problem; never escapes. */
const UNENCODABLE = Symbol('unencodable');

/**
 * The default codec: JSON text.
 *
 * **Refused** (`SerializationError` naming the JSON path, e.g. `$.items[3].price is NaN`), anywhere
 * in the value, because JSON would store something else than it was given: `NaN`, `Infinity` and
 * `-Infinity` (JSON writes `null`), BigInt, functions, symbols, circular references, `undefined`
 * at the top level or in an array (JSON writes `null`), `Map`, `Set`, `WeakMap`, `WeakSet` (JSON
 * writes `{}`), `ArrayBuffer` and typed arrays.
 *
 * **Accepted with a known change**: an object with a `toJSON` method is stored as its result — a
 * `Date` comes back as its ISO string, a `Buffer` as `{ type: 'Buffer', data: [...] }`; object
 * members holding `undefined` are dropped (reading the member gives `undefined` either way);
 * class instances come back as plain objects of their own enumerable properties; `-0` comes back
 * as `0`.
 * Everything else JSON has (strings, finite numbers, booleans, `null`, arrays, plain objects)
 * round-trips exactly. For richer types plug in another codec (see `Codec`).
 *
 * `decode` neutralises prototype-pollution payloads: own `__proto__` keys and `constructor` keys
 * whose value has a `prototype` are removed at any depth, so decoded data is safe to merge or
 * spread.
 *
 * @example
 * const codec = new JsonCodec();
 * codec.decode(codec.encode({ id: 1 })); // { id: 1 }
 * codec.encode({ items: [{ price: NaN }] }); // throws SerializationError: $.items[0].price is NaN
 */
export class JsonCodec implements Codec {
  readonly binary = false;

  /** @throws SerializationError naming the JSON path of the first value JSON cannot round-trip. */
  encode(value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value, refuseUnencodable);
    } catch (error) {
      // The fast path only knows *that* something is wrong; the walk finds where, for the message.
      throw explain(value, error === UNENCODABLE ? undefined : error);
    }
    if (text === undefined) throw explain(value, undefined);
    return text;
  }

  /**
   * Checks that `encode` would accept `value`, without building the text (what the engine runs
   * when no shared tier encodes the value).
   * @throws SerializationError naming the JSON path of the first value JSON cannot round-trip.
   */
  assertEncodable(value: unknown): void {
    let found;
    try {
      found = findUnencodable(value);
    } catch (error) {
      throw explain(value, error);
    }
    if (found !== undefined) throw new SerializationError(`${found.path} ${found.problem}`);
  }

  /** @throws SerializationError when the data is not valid JSON. */
  decode(data: string | Buffer): unknown {
    const text = typeof data === 'string' ? data : data.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new SerializationError(`invalid JSON: ${(error as Error).message}`, { cause: error });
    }
    if (SUSPICIOUS.test(text) && typeof value === 'object' && value !== null) removePollutingKeys(value);
    return value;
  }
}

/** `JSON.stringify` replacer: sees every value after `toJSON`, at any depth, and stops at the first problem. */
function refuseUnencodable(this: unknown, _key: string, value: unknown): unknown {
  // `undefined` is fine as an object member (dropped), not in an array (it would become null).
  if (value === undefined ? Array.isArray(this) : problemOf(value, false) !== undefined) throw UNENCODABLE;
  return value;
}

/**
 * The `SerializationError` for a value `JSON.stringify` refused: the path and problem when the walk
 * finds them (cycles are found here too: V8 names only the property that closes the circle), else
 * the failure itself (a throwing `toJSON`).
 */
function explain(value: unknown, failure: unknown): SerializationError {
  let found;
  try {
    found = findUnencodable(value);
  } catch (error) {
    failure ??= error;
  }
  if (found !== undefined) return new SerializationError(`${found.path} ${found.problem}`, { cause: failure });
  const reason = failure instanceof Error ? failure.message : 'JSON.stringify gave no text';
  return new SerializationError(`JSON cannot encode the value: ${reason}`, { cause: failure });
}

/** Walks the parsed tree iteratively (no recursion limit on deep payloads) and deletes dangerous keys. */
function removePollutingKeys(root: object): void {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    if (Object.hasOwn(node, '__proto__')) delete node['__proto__'];
    if (Object.hasOwn(node, 'constructor')) {
      const ctor = node['constructor'];
      if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) delete node['constructor'];
    }
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}
