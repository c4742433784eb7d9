/**
 * The `lru-cache` options that bound a cache to `maxEntries` entries (`Infinity`: unbounded)
 * without preallocating: `max` would allocate arrays of that length up front, so the bound is a
 * size budget instead, and every `set` passes `ENTRY_SIZE` (each entry counts 1).
 */
export function entryBound(maxEntries: number): { maxSize: number } {
  return { maxSize: maxEntries === Infinity ? Number.MAX_SAFE_INTEGER : maxEntries };
}

/**
 * The `set` options of a cache bounded by `entryBound`. lru-cache writes a `status` field into the
 * options it is given, so this object is shared but not frozen.
 */
export const ENTRY_SIZE: { size: number } = { size: 1 };
