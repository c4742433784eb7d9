/**
 * Errors after which a Warp write is a DEFINITE failure: the write must not have taken effect,
 * ever. Warp promises this for a rejected StrongDistributed write (DESIGN.md §3): a quorum not
 * reached or a lock lost before persisting leaves the Store untouched, a failed Store write
 * changes nothing, and a write that never got its lock never started. Validation errors are
 * thrown before anything happens.
 *
 * Anything else (a killed process, a closed node, an unexpected error) is indeterminate.
 */
export const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  'QuorumNotReachedError',
  'LockLostError',
  'StoreError',
  'LockTimeoutError',
  'SerializationError',
  'UnregisteredKeyError',
  'InvalidKeyError',
]);

/** Classifies a rejected Warp call by the error's name (errors cross IPC as name + message). */
export function classifyWarpFailure(error: unknown): 'fail' | 'info' {
  return error instanceof Error && DEFINITE_FAILURES.has(error.name) ? 'fail' : 'info';
}
