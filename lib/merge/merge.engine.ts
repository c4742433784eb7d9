import { compareEnvelopes, type Envelope } from '../common/envelope.js';
import type { MergeFn } from '../common/registry.js';

export type { MergeFn } from '../common/registry.js';

/**
 * Decides the value a `set` persists. Default: last-write-wins by hybrid-logical-clock timestamp
 * (ties broken by node id). A registration's own `merge` function, when given, combines the
 * current value with the incoming one instead. Subclass and override `merge` to change the policy
 * for every key (pass the instance as the `merge` option).
 */
export class MergeEngine {
  /**
   * @param defaultMerge applied to keys whose registration has no merge function of its own;
   *   undefined means last-write-wins.
   */
  constructor(private readonly defaultMerge?: MergeFn) {}

  /** Whether a `set` of a key with this registration function must first read the current value. */
  needsCurrent(registrationMerge?: MergeFn): boolean {
    return registrationMerge !== undefined || this.defaultMerge !== undefined;
  }

  /**
   * Returns the envelope to persist. `incoming` carries the writer's timestamp; a merged result
   * keeps it, so the result orders after both inputs.
   */
  async merge(
    key: string,
    current: Envelope | undefined,
    incoming: Envelope,
    registrationMerge?: MergeFn,
  ): Promise<Envelope> {
    void key;
    if (current === undefined) return incoming;
    const fn = registrationMerge ?? this.defaultMerge;
    if (fn === undefined) return compareEnvelopes(current, incoming) > 0 ? current : incoming;
    return { value: await fn(current.value, incoming.value), ts: incoming.ts, origin: incoming.origin };
  }
}
