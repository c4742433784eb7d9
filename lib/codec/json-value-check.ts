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
  if (plainlyEncodable(root, false, 0)) return undefined;
  const ancestors: object[] = [];
  // Member names and indexes from the root to the value visited. Paths are built from it only for
  // a problem: a valid value (every write checks one) costs no string per member.
  const trail: (string | number)[] = [];
  const pathTo = (depth: number): string => {
    let path = '$';
    for (let i = 0; i < depth; i++) {
      const step = trail[i]!;
      path += typeof step === 'number' ? `[${step}]` : member(step);
    }
    return path;
  };

  const visit = (raw: unknown, key: string | number, inArray: boolean): UnencodableValue | undefined => {
    const value = afterToJson(raw, key);
    if (trail.length === 0 && value === undefined) return { path: '$', problem: 'is undefined' };
    const problem = problemOf(value, inArray);
    if (problem !== undefined) return { path: pathTo(trail.length), problem };
    if (typeof value !== 'object' || value === null) return undefined;
    const seenAt = ancestors.indexOf(value);
    if (seenAt >= 0) return { path: pathTo(trail.length), problem: `is a circular reference to ${pathTo(seenAt)}` };
    ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          trail.push(i);
          const found = visit(value[i], i, true);
          trail.pop();
          if (found !== undefined) return found;
        }
      } else {
        for (const name of Object.keys(value)) {
          trail.push(name);
          const found = visit((value as Record<string, unknown>)[name], name, false);
          trail.pop();
          if (found !== undefined) return found;
        }
      }
      return undefined;
    } finally {
      ancestors.pop();
    }
  };

  return visit(root, '', false);
}

/** Nesting past which `plainlyEncodable` gives up (a cycle, or a rare deep value): the full walk decides. */
const PLAIN_DEPTH_LIMIT = 64;

/**
 * The common case of every write, without allocating: true when `value` is made only of strings,
 * finite numbers, booleans, null, and plain objects and arrays of them (no `toJSON`, no holes,
 * no `undefined` in an array). False does not mean unencodable: `findUnencodable` then walks it
 * in full and names the problem, if any.
 */
function plainlyEncodable(value: unknown, inArray: boolean, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'undefined':
      return depth > 0 && !inArray;
    case 'object': {
      if (value === null) return true;
      if (depth >= PLAIN_DEPTH_LIMIT || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      const constructor = value.constructor;
      if (constructor === Array) {
        const items = value as unknown[];
        for (let i = 0; i < items.length; i++) if (!(i in items) || !plainlyEncodable(items[i], true, depth + 1)) return false;
        return true;
      }
      if (constructor !== Object) return false;
      for (const name in value) {
        if (!Object.hasOwn(value, name) || !plainlyEncodable((value as Record<string, unknown>)[name], false, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * `JSON.stringify`'s first step: objects (and BigInts) with a `toJSON` method are replaced by its
 * result, called with the member name (an array index as a string).
 */
function afterToJson(value: unknown, key: string | number): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value, String(key));
  }
  return value;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `.name`, or `["odd key"]` for names that are not identifiers. */
function member(name: string): string {
  return IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
