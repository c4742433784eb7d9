/**
 * The unit Warp caches and compares: a value stamped with a hybrid-logical-clock timestamp and
 * the id of the node that wrote it. Users never see envelopes; the store sees plain values.
 */
export interface Envelope<T = unknown> {
  value: T;
  /** HLC timestamp (see `hlc.ts`): totally ordered across nodes, monotonic per node. */
  ts: number;
  /** Node id of the writer; breaks `ts` ties deterministically. */
  origin: string;
}

/** Orders two envelopes by (ts, origin): > 0 when `a` is newer than `b`. */
export function compareEnvelopes(a: Envelope, b: Envelope): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}
