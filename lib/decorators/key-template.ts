import { assertKey } from '../common/keys.js';
import { InvalidKeyError } from '../common/warp.errors.js';

/**
 * How a decorator names its key: `'user:{0}'` (argument index), `'user:{0.id}'` (property path
 * of an argument), or a function of the method's arguments.
 */
export type KeyTemplate = string | ((...args: any[]) => string);

/** A template parsed once at bootstrap. */
export interface CompiledKeyTemplate {
  /** The registration pattern a string template covers (`'user:{0}'` → `'user:*'`). */
  readonly pattern?: string;
  /** The highest argument index a string template reads (`'a:{0}:{2.id}'` → 2); -1 when none or a function. */
  readonly maxArgumentIndex: number;
  /** Builds the key for one call. @throws InvalidKeyError */
  resolve(args: readonly unknown[]): string;
}

const PLACEHOLDER = /\{(\d+)((?:\.[A-Za-z_$][\w$]*)*)\}/g;

/**
 * Parses a key template. `where` names the decorated method in error messages.
 * @throws InvalidKeyError when the template is neither a string nor a function.
 */
export function compileKeyTemplate(template: KeyTemplate, where: string): CompiledKeyTemplate {
  if (typeof template === 'function') {
    return {
      maxArgumentIndex: -1,
      resolve(args) {
        const key = template(...args);
        assertKey(key, `key returned by the template function of ${where}`);
        return key;
      },
    };
  }
  if (typeof template !== 'string' || template.length === 0) {
    throw new InvalidKeyError(`${where}: a key template must be a non-empty string or a function`);
  }
  const literals: string[] = [];
  const slots: Array<{ index: number; path: string[]; text: string }> = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    slots.push({ index: Number(match[1]), path: match[2] ? match[2].slice(1).split('.') : [], text: match[0] });
    last = match.index! + match[0].length;
  }
  literals.push(template.slice(last));
  if (slots.length === 0) {
    assertKey(template, `key template of ${where}`);
    return { pattern: template, maxArgumentIndex: -1, resolve: () => template };
  }
  return {
    pattern: literals.join('*'),
    maxArgumentIndex: Math.max(...slots.map((slot) => slot.index)),
    resolve(args) {
      let key = literals[0];
      for (let i = 0; i < slots.length; i++) key += valueOf(slots[i], args, template, where) + literals[i + 1];
      assertKey(key, `key built by "${template}" in ${where}`);
      return key;
    },
  };
}

function valueOf(slot: { index: number; path: string[]; text: string }, args: readonly unknown[], template: string, where: string): string {
  let value: unknown = args[slot.index];
  for (const property of slot.path) {
    if (value === null || value === undefined) break;
    value = Object.hasOwn(Object(value), property) || property in Object(value) ? (value as Record<string, unknown>)[property] : undefined;
  }
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return String(value);
  throw new InvalidKeyError(
    `${where}: "${slot.text}" in key template "${template}" resolved to ${value === null ? 'null' : type}; ` +
      'a key part must be a string, number, boolean or bigint',
  );
}
