import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LOCK_OPTIONS, resolveLockOptions } from '../../../lib/lock/lock-options.js';
import type { LockOptions } from '../../../lib/lock/locker.interface.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';

describe('resolveLockOptions', () => {
  it('defaults to a 10 s ttl and a 5 s wait', () => {
    assert.deepEqual(DEFAULT_LOCK_OPTIONS, { ttl: 10_000, waitTimeout: 5_000 });
    assert.deepEqual(resolveLockOptions(), { ttl: 10_000, waitTimeout: 5_000 });
    assert.deepEqual(resolveLockOptions({}), { ttl: 10_000, waitTimeout: 5_000 });
    assert.ok(Object.isFrozen(DEFAULT_LOCK_OPTIONS));
  });

  it('keeps the options given and fills in the others', () => {
    assert.deepEqual(resolveLockOptions({ ttl: 30_000 }), { ttl: 30_000, waitTimeout: 5_000 });
    assert.deepEqual(resolveLockOptions({ waitTimeout: 0 }), { ttl: 10_000, waitTimeout: 0 });
    assert.deepEqual(resolveLockOptions({ ttl: 1, waitTimeout: 2 }), { ttl: 1, waitTimeout: 2 });
  });

  it('returns a new object that resolves to itself', () => {
    const given = { ttl: 5 };
    const resolved = resolveLockOptions(given);
    assert.notEqual(resolved, given);
    assert.deepEqual(resolveLockOptions(resolved), resolved);
  });

  it('rejects a ttl that is not a positive finite number, naming the option', () => {
    for (const ttl of [0, -1, Number.NaN, Infinity, 2 ** 31, '10' as unknown as number]) {
      assert.throws(
        () => resolveLockOptions({ ttl }),
        (error: unknown) => error instanceof InvalidOptionsError && /"ttl"/.test(error.message),
        `ttl ${String(ttl)}`,
      );
    }
  });

  it('rejects a waitTimeout that is negative or not finite, naming the option', () => {
    for (const waitTimeout of [-1, Number.NaN, Infinity, "5" as unknown as number]) {
      assert.throws(
        () => resolveLockOptions({ waitTimeout }),
        (error: unknown) => error instanceof InvalidOptionsError && /"waitTimeout"/.test(error.message),
        `waitTimeout ${String(waitTimeout)}`,
      );
    }
  });

  it('rejects options that are not an object', () => {
    assert.throws(() => resolveLockOptions(42 as unknown as LockOptions), InvalidOptionsError);
    assert.throws(() => resolveLockOptions(null as unknown as LockOptions), InvalidOptionsError);
  });
});
