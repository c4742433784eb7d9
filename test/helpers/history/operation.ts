/**
 * What one client operation did, as the test observed it from outside the system.
 *
 * - `ok`: took effect exactly once, somewhere between `invoke` and `complete`.
 * - `fail`: a definite failure: it did not take effect, ever (Warp promises this for a rejected
 *   StrongDistributed write: QuorumNotReachedError, LockLostError, StoreError, LockTimeoutError).
 * - `info`: indeterminate (a timeout, the process was killed): it may take effect at any time after
 *   `invoke`, or never. Its `complete` is irrelevant (treated as +∞).
 */
export type Outcome = 'ok' | 'fail' | 'info';

export interface Operation {
  /** Who issued it (e.g. `node-1/writer`): for diagnosis only, the checker needs no per-process order. */
  process: string;
  key: string;
  type: 'read' | 'write';
  /** The value written, or the value the read returned (`undefined`: absent). */
  value: unknown;
  /** ms on one monotonic clock (`performance.timeOrigin + performance.now()` in the parent). */
  invoke: number;
  complete: number | undefined;
  outcome: Outcome;
  /** Why it failed or is indeterminate (the error's name and message), for diagnosis. */
  error?: string;
}

/** The ms clock every operation of one history is timed on. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A printable one-liner: `node-1/writer write st:1 = "node-1:7" ok [12.3 → 15.9]`. */
export function describeOperation(op: Operation, origin = 0): string {
  const at = (t: number | undefined) => (t === undefined ? '∞' : (t - origin).toFixed(1));
  const value = op.value === undefined ? 'absent' : JSON.stringify(op.value);
  const error = op.error === undefined ? '' : ` (${op.error})`;
  return `${op.process} ${op.type} ${op.key} ${op.type === 'write' ? '=' : '→'} ${value} ${op.outcome}${error} [${at(op.invoke)} → ${at(op.complete)}]`;
}
