import { MAX_KEYS_PER_MESSAGE } from './eventual-invalidations.js';

/** Message kinds of Warp's cluster protocol (one channel, multiplexed by kind). */
export const MessageKind = {
  Heartbeat: 'hb',
  Bye: 'bye',
  Invalidate: 'inv',
  /** StrongDistributed: evict, mark pending, acknowledge. */
  Prepare: 'prep',
  Commit: 'commit',
  Abort: 'abort',
  Ack: 'ack',
  /** "You may have missed invalidations from me": peers drop distributed keys from their local tier. */
  Reset: 'reset',
} as const;

/** Writes in progress listed in one heartbeat. */
export const MAX_LISTED_WRITES = 256;

/** A list of keys as a message carries it, or undefined when malformed. */
export function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_KEYS_PER_MESSAGE) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}

/** A strong write id: a positive safe integer. */
export function isWriteId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** A lock or write TTL in ms, as setTimeout accepts it. */
export function isTtl(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= 2_147_483_647;
}
