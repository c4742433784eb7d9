import { describeValue } from './describe-value.js';
import { InvalidOptionsError } from './warp.errors.js';
import { isTtl, MAX_TIMER_MS, TTL_EXPECTED } from './limits.js';

/**
 * Checks one option's value, given its path (`keys[2].mode`, `failSafe.grace`) for the message.
 * Called with `undefined` only for a required option (which must then fail): an absent optional
 * option takes its default.
 * @throws InvalidOptionsError naming the path and the accepted values
 */
export type OptionCheck = (value: unknown, path: string) => void;

/** A table of option checks: its keys are the accepted option names, the one list of them there is. */
export type OptionChecks = Readonly<Record<string, OptionCheck>>;

/**
 * The methods an object must have to be used as one of Warp's ports (a duck-type check: the
 * interfaces do not exist at runtime), and an example of a valid value for the message.
 */
export interface PortShape<T = unknown> {
  /** What the value must be, e.g. `'a WarpCache'`. */
  readonly what: string;
  readonly methods: ReadonlyArray<keyof T & string>;
  /** Optional methods: when present, they must be functions too. */
  readonly optional?: ReadonlyArray<keyof T & string>;
  readonly example: string;
}

/**
 * Checks the fields of an options object: every name must be in `checks` (else the message
 * lists the accepted ones and suggests the closest), and each present value, and each `required`
 * one even when absent, passes its check.
 * @param prefix path of the object itself (`''` at the top, `'failSafe'`, `'keys[0]'`)
 * @throws InvalidOptionsError naming the path
 */
export function checkFields(value: object, checks: OptionChecks, prefix = '', required: readonly string[] = []): void {
  const names = Object.keys(checks);
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(checks, name)) unknownOption(join(prefix, name), name, names, prefix);
  }
  for (const name of names) {
    const field = (value as Record<string, unknown>)[name];
    // A required field's check rejects `undefined` itself, with the accepted values.
    if (field !== undefined || required.includes(name)) checks[name](field, join(prefix, name));
  }
}

/** A nested options object with its own table (`failSafe: { grace, maxEntries? }`). */
export function nested(checks: OptionChecks, shape: string, required: readonly string[] = []): OptionCheck {
  return (value, path) => {
    if (!isPlainObject(value)) fail(path, `an object ${shape}`, value);
    checkFields(value, checks, path, required);
  };
}

/** An object with the methods of `shape`. */
export function port(shape: PortShape<any>): OptionCheck {
  return (value, path) => {
    const missing = missingMethods(value, shape);
    if (missing === undefined) return;
    // Naming what is missing helps only when some methods are there (an incomplete port).
    const lacking = missing.length > 0 && missing.length < shape.methods.length ? `; ${missing.join(', ')} missing` : '';
    fail(path, `${shape.what} (an object with ${shape.methods.join(', ')} methods, e.g. ${shape.example})${lacking}`, value);
  };
}

/**
 * The methods `value` lacks to be `shape` (empty when only an optional one is not a function),
 * or `undefined` when it has them all.
 */
export function missingMethods(value: unknown, shape: PortShape<any>): string[] | undefined {
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const missing = shape.methods.filter((name) => typeof object[name] !== 'function');
  const wrongOptional = (shape.optional ?? []).some((name) => object[name] !== undefined && typeof object[name] !== 'function');
  return missing.length > 0 || wrongOptional ? missing : undefined;
}

export const positiveDuration: OptionCheck = (value, path) => {
  if (typeof value !== 'number' || !(value > 0) || value > MAX_TIMER_MS) fail(path, `a number of ms in (0, ${MAX_TIMER_MS}]`, value);
};

export const nonNegativeDuration: OptionCheck = (value, path) => {
  if (typeof value !== 'number' || !(value >= 0) || value > MAX_TIMER_MS) fail(path, `a number of ms in [0, ${MAX_TIMER_MS}]`, value);
};

export const positiveInteger: OptionCheck = (value, path) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(path, 'a positive integer', value);
};

export const ttl: OptionCheck = (value, path) => {
  if (!isTtl(value)) fail(path, TTL_EXPECTED, value);
};

export const boolean: OptionCheck = (value, path) => {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
};

export const fn: OptionCheck = (value, path) => {
  if (typeof value !== 'function') fail(path, 'a function', value);
};

/** A string matching `pattern`. */
export function text(pattern: RegExp, expected: string): OptionCheck {
  return (value, path) => {
    if (typeof value !== 'string' || !pattern.test(value)) fail(path, expected, value);
  };
}

/** One of `values`; `expected` describes them in the message. */
export function oneOf(values: readonly unknown[], expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`): OptionCheck {
  return (value, path) => {
    if (!values.includes(value)) fail(path, expected, value);
  };
}

/** @throws InvalidOptionsError `Invalid Warp option "<path>": expected <expected>, got <value>` */
export function fail(path: string, expected: string, got: unknown): never {
  throw new InvalidOptionsError(`Invalid Warp option "${path}": expected ${expected}, got ${describeOptionValue(got)}`);
}

/**
 * How option messages show a value: `describeValue`, with more on objects and functions, since a
 * wrong port is usually an object of another kind (`an instance of Redis`, `an object { host, port }`).
 * Reads only own keys and the constructor's name, never calls the value's methods.
 */
export function describeOptionValue(value: unknown): string {
  if (typeof value === 'function') return `a function${typeof value.name === 'string' && value.name !== '' ? ` (${value.name})` : ''}`;
  if (!isPlainObject(value)) return describeValue(value);
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object') return `an instance of ${name}`;
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    return `an object { ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''} }`;
  } catch {
    return describeValue(value); // a hostile proxy
  }
}

export function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function unknownOption(path: string, name: string, accepted: readonly string[], prefix: string): never {
  const guess = closest(name, accepted);
  const hint = guess === undefined ? '' : ` (did you mean "${prefix === '' ? guess : `${prefix}.${guess}`}"?)`;
  throw new InvalidOptionsError(`Unknown Warp option "${path}"${hint}: accepted ${prefix === '' ? 'options' : `fields of "${prefix}"`} are ${accepted.join(', ')}`);
}

/**
 * The accepted name a typo most likely meant: the same name in another case, one that starts or
 * ends with it (`warmupOnBoot` → `warmupOnBootstrap`, `ttl` → `defaultTtl`), or one within two
 * edits; `undefined` when none is close.
 */
function closest(name: string, accepted: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = accepted.find((candidate) => candidate.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  if (lower.length >= 3) {
    const part = accepted.find((candidate) => candidate.toLowerCase().startsWith(lower) || candidate.toLowerCase().endsWith(lower));
    if (part !== undefined) return part;
  }
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of accepted) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
