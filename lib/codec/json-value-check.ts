/**
 * What JSON cannot round-trip, found where `JSON.stringify` would meet it. Shared by `JsonCodec`'s
 * fast path (a replacer) and its error reports (a walk that names the JSON path).
 */

/** Why the value at a path cannot be encoded faithfully, e.g. `is NaN`. */
export interface UnencodableValue {
  /** JSON path of the value: `$`, `$.items[3].price`, `$["odd key"]`. */
  path: string;
  /** What is wrong with it, as a predicate: `is NaN`, `is a BigInt`. */
  problem: string;
}

/**
 * The problem with a value that `JSON.stringify` would lose or change (after `toJSON`), as seen
 * from its holder: `undefined` in an array would become `null` (an object member holding it is
 * simply dropped, which round-trips). Returns `undefined` when the value is fine on its own;
 * objects and arrays are fine here, their contents are checked one by one.
 */
export function problemOf(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value}`;
    case 'bigint':
      return 'is a BigInt';
    case 'function':
      return 'is a function';
    case 'symbol':
      return 'is a symbol';
    case 'undefined':
      return inArray ? 'is undefined (JSON would store null)' : undefined;
    case 'object':
      return value === null ? undefined : opaqueObjectProblem(value);
    default:
      return undefined;
  }
}

/** Objects whose content JSON drops (a `Map` or `Set` becomes `{}`, a typed array an object of indexes), and boxed numbers. */
function opaqueObjectProblem(value: object): string | undefined {
  // Plain objects and arrays, nearly everything a cache holds, skip the checks below.
  const constructor = value.constructor;
  if (constructor === Object || constructor === Array) return undefined;
  // Boxed primitives are judged as their primitive: new Number(NaN) is stored as null, Object(1n) throws.
  if (value instanceof Number || value instanceof BigInt || value instanceof Symbol) return problemOf(value.valueOf(), false);
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    return `is a ${value.constructor.name} (JSON would store {}): convert it to an object or array`;
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return `is a ${value.constructor.name} (JSON cannot store its bytes): convert it, or use a binary codec`;
  }
  return undefined;
}

/**
 * Walks `root` as `JSON.stringify` does (`toJSON` first, own enumerable keys, `undefined` members
 * dropped) and returns the first value it cannot round-trip, or a circular reference, with its
 * path; `undefined` when the whole tree is encodable.
 *
 * @throws what a `toJSON` method throws.
 */
export function findUnencodable(root: unknown): UnencodableValue | undefined {
  const ancestors: object[] = [];
  const paths: string[] = [];

  const visit = (raw: unknown, key: string, path: string, inArray: boolean): UnencodableValue | undefined => {
    const value = afterToJson(raw, key);
    if (path === '$' && value === undefined) return { path, problem: 'is undefined' };
    const problem = problemOf(value, inArray);
    if (problem !== undefined) return { path, problem };
    if (typeof value !== 'object' || value === null) return undefined;
    const seenAt = ancestors.indexOf(value);
    if (seenAt >= 0) return { path, problem: `is a circular reference to ${paths[seenAt]}` };
    ancestors.push(value);
    paths.push(path);
    try {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = visit(value[i], String(i), `${path}[${i}]`, true);
          if (found !== undefined) return found;
        }
      } else {
        for (const name of Object.keys(value)) {
          const found = visit((value as Record<string, unknown>)[name], name, path + member(name), false);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    } finally {
      ancestors.pop();
      paths.pop();
    }
  };

  return visit(root, '', '$', false);
}

/** `JSON.stringify`'s first step: objects (and BigInts) with a `toJSON` method are replaced by its result. */
function afterToJson(value: unknown, key: string): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value, key);
  }
  return value;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `.name`, or `["odd key"]` for names that are not identifiers. */
function member(name: string): string {
  return IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
