import { SerializationError } from '../warp.errors.js';
import type { Codec } from './codec.interface.js';

/**
 * Cheap pre-check for keys that could pollute a prototype once the decoded object is merged or
 * spread: `__proto__`, `constructor`, or any `\u` escape (which could spell either of them).
 * Plain data rarely contains these, so the common decode is a single `JSON.parse`.
 */
const SUSPICIOUS = /__proto__|constructor|\\u/;

/**
 * The default codec: JSON text.
 *
 * `encode` throws `SerializationError` instead of silently losing data for what JSON cannot
 * represent: BigInt, cyclic structures, functions and symbols at any depth, and `undefined` at
 * the top level. Other values follow `JSON.stringify`: object properties holding `undefined` are
 * omitted, `NaN`/`Infinity` become `null`, a `Date` becomes its ISO string (objects with `toJSON`
 * are encoded through it), and `Map`/`Set` become `{}` — convert those before caching them.
 *
 * `decode` neutralises prototype-pollution payloads: own `__proto__` keys and `constructor` keys
 * whose value has a `prototype` are removed at any depth, so decoded data is safe to merge or
 * spread.
 *
 * @example
 * const codec = new JsonCodec();
 * codec.decode(codec.encode({ id: 1 })); // { id: 1 }
 */
export class JsonCodec implements Codec {
  readonly binary = false;

  /** @throws SerializationError for BigInt, cycles, functions, symbols, or top-level `undefined`. */
  encode(value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value, rejectUnrepresentable);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      // Cycles (V8 names the property closing the circle) and throwing `toJSON` methods.
      throw new SerializationError(`JSON cannot encode the value: ${(error as Error).message}`, { cause: error });
    }
    if (text === undefined) {
      throw new SerializationError('JSON cannot encode undefined (or a value whose toJSON returns undefined)');
    }
    return text;
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

/** `JSON.stringify` replacer: sees every value (after `toJSON`), at any depth. */
function rejectUnrepresentable(this: unknown, key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === 'bigint' || type === 'function' || type === 'symbol') {
    const where = key === '' ? 'at the top level' : `at property "${key}"`;
    throw new SerializationError(`JSON cannot encode a ${type} (${where})`);
  }
  return value;
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
