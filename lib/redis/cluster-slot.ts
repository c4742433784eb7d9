import calculateSlot from 'cluster-key-slot';

/** Number of Redis Cluster hash slots. */
const SLOTS = 16_384;

/**
 * The Redis Cluster slot of a full key (with the client's `keyPrefix`), as Redis and ioredis
 * compute it: CRC16 of the hash tag (`{...}`) when there is one, else of the whole key.
 */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** `tags[slot]`: the smallest candidate (a base-36 counter) that hashes to `slot`, or -1 not found yet. */
const tags = new Int32Array(SLOTS).fill(-1);
let nextCandidate = 0;

/**
 * A short hash tag that lands in `slot`: `{<tag>}` in a key puts it in that slot whatever the rest
 * of the key is. Lets a companion key share the slot of a key whose own name cannot serve as a tag
 * (it may hold `}`). The tags are the first base-36 numbers hashing to each slot, found by scanning
 * candidates in order as slots are asked for (about 88k CRCs, 20 ms, for all 16384), so every
 * process and version derives the same tag for a slot: never change the candidate order.
 */
export function hashTagOfSlot(slot: number): string {
  while (tags[slot] < 0) {
    const candidate = nextCandidate++;
    const found = calculateSlot(candidate.toString(36));
    if (tags[found] < 0) tags[found] = candidate;
  }
  return tags[slot].toString(36);
}

/**
 * `true` when every key starting with `prefix` has its hash tag decided by the prefix in a way no
 * later `{tag}` can change, without that tag being the prefix's own: Redis looks only at the first
 * `{`, so a prefix with an unclosed `{`, or an empty `{}`, leaves keys hashed by text that the rest
 * of the key decides. A prefix without `{`, or with a complete `{tag}`, is fine.
 */
export function defeatsHashTags(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close < 0 || close === open + 1;
}
