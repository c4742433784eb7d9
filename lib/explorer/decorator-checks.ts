import { isWeakerMode, type Mode } from '../common/mode.js';
import type { KeyRegistry, Registration } from '../common/registry.js';
import type { CompiledKeyTemplate, KeyTemplate } from '../decorators/key-template.js';
import { InvalidOptionsError } from '../common/warp.errors.js';

/** A decorated method, as the checks name and inspect it. */
export interface DecoratedMethod {
  /** `ClassName.methodName`, for messages. */
  readonly where: string;
  readonly method: (...args: any[]) => unknown;
  /** TypeScript's `design:paramtypes` of the method (one entry per declared parameter), if emitted. */
  readonly paramtypes: unknown;
}

/**
 * What the explorer checks at bootstrap instead of at the first call, so a mistake fails
 * `app.init()` with `InvalidOptionsError` naming the method:
 *
 * - a template reading an argument the method does not declare (`'user:{1}'` on `find(id)`);
 * - a `@WarpKey` mode weaker than the module registration covering its pattern (order:
 *   StrongLocal < EventualDistributed < StrongDistributed, see `isWeakerMode`), or two `@WarpKey`s
 *   giving one pattern different modes (which one won would depend on discovery order);
 * - a `@WarpPut`/`@WarpEvict` whose keys no registration covers, once every `@WarpKey` pattern
 *   is registered (`finish()`).
 *
 * "Module registrations" are those made before exploring: `forRoot` keys and registrations in
 * provider constructors (e.g. `WarpKeyvStore`). Registrations made later (in `onModuleInit`)
 * come too late for the coverage check: make them in a constructor or in `forRoot`'s `keys`.
 */
export class DecoratorChecks {
  /** Registrations that existed before any decorator registered: the module's. */
  private readonly moduleRegistrations: readonly Registration[];
  /** Pattern → the first `@WarpKey` that registered it. */
  private readonly declared = new Map<string, { mode: Mode; where: string }>();
  private readonly writes: Array<{ where: string; decorator: string; template: KeyTemplate; pattern: string }> = [];

  constructor(private readonly registry: Pick<KeyRegistry, 'all' | 'covering'>) {
    this.moduleRegistrations = registry.all();
  }

  /**
   * Fails when `template` reads an argument index the method certainly lacks. Certain only when
   * TypeScript's parameter list and `method.length` agree (no default values, no rest parameter:
   * either makes `length` smaller); otherwise nothing is flagged.
   * @throws InvalidOptionsError
   */
  assertArguments(target: DecoratedMethod, decorator: string, text: KeyTemplate, template: CompiledKeyTemplate): void {
    const { paramtypes, method, where } = target;
    if (template.maxArgumentIndex < 0 || !Array.isArray(paramtypes) || paramtypes.length !== method.length) return;
    if (template.maxArgumentIndex < method.length) return;
    const declared = method.length === 1 ? '1 parameter' : `${method.length} parameters`;
    throw new InvalidOptionsError(
      `${where}: ${decorator}(${show(text)}) reads argument {${template.maxArgumentIndex}}, but the method declares ${declared} ` +
        `(indexes start at 0): every call would fail with InvalidKeyError`,
    );
  }

  /**
   * Before a `@WarpKey` registers `pattern` with `mode`.
   * @throws InvalidOptionsError when the mode is weaker than a module registration covering the
   *   pattern, or differs from another `@WarpKey`'s for the same pattern.
   */
  assertKeyMode(where: string, text: KeyTemplate, pattern: string, mode: Mode): void {
    const other = this.declared.get(pattern);
    if (other !== undefined && other.mode !== mode) {
      throw new InvalidOptionsError(
        `${where}: @WarpKey(${show(text)}, ${mode}) and ${other.where} (${other.mode}) give the pattern "${pattern}" different modes; ` +
          'use one mode, or register the pattern once in forRoot keys',
      );
    }
    this.declared.set(pattern, { mode, where });
    for (const registration of this.moduleRegistrations) {
      if (!covers(registration, pattern) || !isWeakerMode(mode, registration.mode)) continue;
      throw new InvalidOptionsError(
        `${where}: @WarpKey(${show(text)}, ${mode}) would weaken "${registration.pattern}", registered as ${registration.mode} ` +
          'by the module: a decorator may keep or strengthen a registration\'s mode, never weaken it ' +
          `(strong-local < eventual-distributed < strong-distributed). Use ${registration.mode} (or stronger) here, or change the registration`,
      );
    }
  }

  /** Records a `@WarpPut`/`@WarpEvict` key pattern, checked by `finish()`. */
  write(where: string, decorator: string, text: KeyTemplate, pattern: string | undefined): void {
    if (pattern !== undefined) this.writes.push({ where, decorator, template: text, pattern });
  }

  /**
   * Once every decorated method is explored: each `@WarpPut`/`@WarpEvict` pattern is covered by a
   * registration. Function templates cannot be checked before they run.
   * @throws InvalidOptionsError naming the method and the pattern.
   */
  finish(): void {
    for (const { where, decorator, template, pattern } of this.writes) {
      if (this.registry.covering(pattern) !== undefined) continue;
      throw new InvalidOptionsError(
        `${where}: ${decorator}(${show(template)}) writes keys matching "${pattern}", which no registration covers: ` +
          `register "${pattern}" (forRoot keys, or a @WarpKey with that template) with a mode`,
      );
    }
  }
}

/** Whether `registration` governs the keys of `pattern` (the same pattern, or a broader one matching it). */
function covers(registration: Registration, pattern: string): boolean {
  return registration.pattern === pattern || (registration.isPattern && registration.matcher!.test(pattern));
}

function show(template: KeyTemplate): string {
  return typeof template === 'function' ? 'a function template' : JSON.stringify(template);
}
