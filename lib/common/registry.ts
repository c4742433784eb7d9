import { describeValue } from './describe-value.js';
import { InvalidKeyError, InvalidOptionsError } from './warp.errors.js';
import { assertKey, isValidKey } from './keys.js';
import { isTtl, TTL_EXPECTED } from './limits.js';
import { isMode, Mode } from './mode.js';

/**
 * Combines the current value of a key with an incoming one, e.g. a counter `(a, b) => a + b`.
 * May be async. Receives plain values, never envelopes.
 */
export type MergeFn<T = any> = (current: T, incoming: T) => T | Promise<T>;

/** What a key's registration gives it. */
export interface Registration {
  /** The exact key or pattern registered; the label metrics use (never the raw key). */
  readonly pattern: string;
  readonly mode: Mode;
  /** Time to live in ms; 0 = no expiry. */
  readonly ttl: number;
  readonly merge?: MergeFn;
  /** Literal prefix of a pattern (up to its first `*`), used to list candidates from a store. */
  readonly prefix: string;
  readonly isPattern: boolean;
  /** @internal ordering of patterns: more literal characters first, then fewer wildcards. */
  readonly specificity: number;
  /** @internal */
  readonly matcher?: RegExp;
}

/** Options of one registration. */
export interface RegisterOptions {
  /** Time to live in ms. Default: the instance's `defaultTtl` (0 = no expiry). */
  ttl?: number;
  /** Custom merge function for this key or pattern; default last-write-wins. */
  merge?: MergeFn;
}

/**
 * Resolutions the memo's newer generation holds; when it is full it becomes the older one (the
 * oldest is dropped), so at most twice this many are kept and hot keys survive the turnover.
 */
const RESOLVED_MEMO_LIMIT = 10_000;

/**
 * Maps keys to registrations. Exact keys win over patterns; among patterns the most specific wins
 * (most literal characters, then fewest wildcards, then the latest registered). In a pattern a
 * trailing `*` matches any rest of the key, and an inner `*` matches one `:`-separated segment.
 */
export class KeyRegistry {
  private readonly exact = new Map<string, Registration>();
  private patterns: Registration[] = [];
  /**
   * Resolutions of keys met, exact ones included: a hot key costs one lookup. Only valid keys are
   * remembered (see `known`). Dropped on every (un)registration.
   */
  private resolved = new Map<string, Registration | null>();
  /** The memo's older generation: a hit there moves the key back to `resolved`. */
  private previous = new Map<string, Registration | null>();

  register(keyOrPattern: string, mode: Mode, options: RegisterOptions = {}, defaultTtl = 0): Registration {
    assertKey(keyOrPattern, 'key or pattern');
    if (!isMode(mode)) {
      throw new InvalidOptionsError(
        `Cannot register "${keyOrPattern}": mode must be one of ${Object.values(Mode).join(', ')}, got ${describeValue(mode)}`,
        { key: keyOrPattern },
      );
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionsError(`Cannot register "${keyOrPattern}": options must be an object { ttl?, merge? }`, { key: keyOrPattern });
    }
    const ttl = options.ttl ?? defaultTtl;
    if (!isTtl(ttl)) {
      throw new InvalidOptionsError(`Cannot register "${keyOrPattern}": ttl must be ${TTL_EXPECTED}, got ${describeValue(ttl)}`, {
        key: keyOrPattern,
      });
    }
    if (options.merge !== undefined && typeof options.merge !== 'function') {
      throw new InvalidOptionsError(`Cannot register "${keyOrPattern}": merge must be a function`, { key: keyOrPattern });
    }
    const registration = build(keyOrPattern, mode, ttl, options.merge);
    this.unregister(keyOrPattern);
    if (registration.isPattern) {
      this.patterns.push(registration);
      // Stable sort keeps registration order among equals; reverse scan below prefers the latest.
      this.patterns.sort((a, b) => a.specificity - b.specificity);
    } else {
      this.exact.set(keyOrPattern, registration);
    }
    this.forgetResolutions();
    return registration;
  }

  unregister(keyOrPattern: string): boolean {
    const removed = this.exact.delete(keyOrPattern) || this.removePattern(keyOrPattern);
    if (removed) this.forgetResolutions();
    return removed;
  }

  /** The registration of `key`, or undefined. `key` must already be valid. */
  resolve(key: string): Registration | undefined {
    const memo = this.known(key);
    if (memo !== undefined) return memo;
    if (this.resolved.get(key) === null) return undefined;
    let found = this.exact.get(key);
    for (let i = this.patterns.length - 1; found === undefined && i >= 0; i--) {
      if (this.patterns[i].matcher!.test(key)) {
        found = this.patterns[i];
        break;
      }
    }
    if (isValidKey(key)) this.remember(key, found ?? null);
    return found;
  }

  /**
   * The remembered registration of a key `resolve` met before, else `undefined` (ask `resolve`).
   * A hit also proves `key` valid (only valid keys are remembered): the hot paths skip `assertKey`.
   */
  known(key: string): Registration | undefined {
    const memo = this.resolved.get(key);
    if (memo !== undefined) return memo ?? undefined;
    const older = this.previous.get(key);
    if (older === undefined) return undefined;
    this.remember(key, older);
    return older ?? undefined;
  }

  /**
   * The registration governing every key `pattern` stands for (a key template's pattern, such as
   * `user:*` for `'user:{0}'`): the one its text resolves to when read as a key, a `*` matching
   * itself. `undefined` when no registration covers it. Bypasses the resolution memo.
   */
  covering(pattern: string): Registration | undefined {
    const exact = this.exact.get(pattern);
    if (exact !== undefined) return exact;
    for (let i = this.patterns.length - 1; i >= 0; i--) if (this.patterns[i].matcher!.test(pattern)) return this.patterns[i];
    return undefined;
  }

  /** Every registration, exact keys first. */
  all(): Registration[] {
    return [...this.exact.values(), ...this.patterns];
  }

  private remember(key: string, registration: Registration | null): void {
    if (this.resolved.size >= RESOLVED_MEMO_LIMIT) {
      this.previous = this.resolved;
      this.resolved = new Map();
    }
    this.resolved.set(key, registration);
  }

  private forgetResolutions(): void {
    this.resolved = new Map();
    this.previous = new Map();
  }

  private removePattern(pattern: string): boolean {
    const before = this.patterns.length;
    this.patterns = this.patterns.filter((r) => r.pattern !== pattern);
    return this.patterns.length !== before;
  }
}

function build(pattern: string, mode: Mode, ttl: number, merge: MergeFn | undefined): Registration {
  const star = pattern.indexOf('*');
  if (star === -1) {
    return { pattern, mode, ttl, merge, prefix: pattern, isPattern: false, specificity: Infinity };
  }
  if (/\*\*/.test(pattern)) {
    throw new InvalidKeyError(`Invalid pattern "${pattern}": use a single "*" per segment`, { key: pattern });
  }
  const parts = pattern.split('*');
  const source = parts
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .reduce((acc, part, i) => (i === 0 ? part : acc + (i === parts.length - 1 && part === '' ? '.*' : '[^:]*') + part), '');
  const wildcards = parts.length - 1;
  return {
    pattern,
    mode,
    ttl,
    merge,
    prefix: pattern.slice(0, star),
    isPattern: true,
    specificity: (pattern.length - wildcards) * 64 - wildcards,
    matcher: new RegExp(`^${source}$`, 's'),
  };
}
