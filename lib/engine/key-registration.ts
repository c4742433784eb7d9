import { assertKey } from '../common/keys.js';
import type { KeyRegistry, Registration } from '../common/registry.js';
import { UnregisteredKeyError } from '../common/warp.errors.js';

/**
 * The registration that governs `key`. A key met before costs one lookup in the registry's memo,
 * which holds valid keys only; a new key is checked, then resolved.
 * @throws InvalidKeyError when the key is malformed; UnregisteredKeyError when nothing matches.
 */
export function registrationOf(registry: KeyRegistry, key: string): Registration {
  const known = registry.known(key);
  if (known !== undefined) return known;
  assertKey(key);
  const registration = registry.resolve(key);
  if (registration === undefined) {
    throw new UnregisteredKeyError(
      `Key "${key}" is not registered: register it (or a pattern such as "${key.split(':')[0]}:*") with a mode first`,
      { key },
    );
  }
  return registration;
}
