/**
 * Consistency mode of a key, chosen at registration.
 *
 * - `StrongLocal`: one node's view; no bus traffic. Reads after a set on the same node see it.
 * - `EventualDistributed`: `set` returns after the local write; peers are invalidated
 *   asynchronously in coalesced batches and converge.
 * - `StrongDistributed`: writes to a key are serialized by a cluster lock and `set` resolves only
 *   after every live peer (or `quorum` peers) evicted the key and acknowledged.
 */
export enum Mode {
  StrongLocal = 'strong-local',
  EventualDistributed = 'eventual-distributed',
  StrongDistributed = 'strong-distributed',
}

const MODES = new Set<string>(Object.values(Mode));

/** Whether `value` is one of the `Mode` values. */
export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && MODES.has(value);
}

/**
 * How much each mode promises cluster-wide, weakest first: `StrongLocal` (peers never hear of a
 * write: as coherent as one node, the least across several) < `EventualDistributed` (peers
 * converge) < `StrongDistributed` (linearizable). A decorator may keep or raise the mode a module
 * registration gives its keys, never lower it.
 */
const STRENGTH: Readonly<Record<Mode, number>> = {
  [Mode.StrongLocal]: 0,
  [Mode.EventualDistributed]: 1,
  [Mode.StrongDistributed]: 2,
};

/** Whether `mode` promises less, cluster-wide, than `than` (see the order above). */
export function isWeakerMode(mode: Mode, than: Mode): boolean {
  return STRENGTH[mode] < STRENGTH[than];
}
