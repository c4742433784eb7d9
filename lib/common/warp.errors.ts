/**
 * Typed errors raised by Warp. Every error carries a stable `code` (also on the class as a
 * static), the key or name it concerns when there is one, and the original failure as `cause`.
 *
 * @example
 * try { await warp.get('user:1') } catch (e) { if (e instanceof UnregisteredKeyError) ... }
 */
export class WarpError extends Error {
  static readonly code: string = 'E_WARP';
  /** Stable machine-readable code, e.g. `E_WARP_STORE`. */
  readonly code: string;
  /** The key, lock or lease name the error concerns, when there is one. */
  readonly key?: string;

  constructor(message: string, options: { key?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as typeof WarpError).code;
    if (options.key !== undefined) this.key = options.key;
  }
}

/** A key was used that matches no registration (`register`, `keys` option or `@WarpKey`). */
export class UnregisteredKeyError extends WarpError {
  static override readonly code = 'E_WARP_UNREGISTERED_KEY';
}

/** A key or pattern is not a non-empty string of at most 1024 UTF-8 bytes, or a template did not resolve. */
export class InvalidKeyError extends WarpError {
  static override readonly code = 'E_WARP_INVALID_KEY';
}

/** A value cannot be serialized (functions, symbols, BigInt, cycles) for a shared cache or the bus. */
export class SerializationError extends WarpError {
  static override readonly code = 'E_WARP_SERIALIZATION';
}

/** The primary store failed or timed out; the cache and peers were left untouched. */
export class StoreError extends WarpError {
  static override readonly code = 'E_WARP_STORE';
}

/**
 * A store refused a write fenced with a lower fencing token than one it already accepted for the
 * key: a newer holder of the key's write lock has written since, so this (stale) writer must not.
 * The store is unchanged. Carries the key, the refused fence and the fence the store holds.
 *
 * @example
 * try { await store.set(key, value, { fence }) } catch (e) { if (e instanceof FenceRejectedError) e.accepted }
 */
export class FenceRejectedError extends WarpError {
  static override readonly code = 'E_WARP_FENCE_REJECTED';
  declare readonly key: string;
  /** The fence of the refused write. */
  readonly attempted: bigint;
  /** The highest fence the store accepted for the key (the bar the write did not reach). */
  readonly accepted: bigint;

  constructor(key: string, attempted: bigint, accepted: bigint) {
    super(
      `Store write of "${key}" refused: its fence ${attempted} is lower than the fence ${accepted} already accepted ` +
        '(a newer holder of the write lock has written since)',
      { key },
    );
    this.attempted = attempted;
    this.accepted = accepted;
  }
}

/** A StrongDistributed write was not acknowledged by enough live peers within `publishTimeout`. */
export class QuorumNotReachedError extends WarpError {
  static override readonly code = 'E_WARP_QUORUM_NOT_REACHED';
}

/** A lock was not acquired within its `waitTimeout`. */
export class LockTimeoutError extends WarpError {
  static override readonly code = 'E_WARP_LOCK_TIMEOUT';
}

/** A held lock expired or was taken by another holder before it was released. */
export class LockLostError extends WarpError {
  static override readonly code = 'E_WARP_LOCK_LOST';
}

/** A lease id is unknown (never granted, revoked or expired). */
export class LeaseNotFoundError extends WarpError {
  static override readonly code = 'E_WARP_LEASE_NOT_FOUND';
}

/** Module or service options are invalid; the message names the option and the accepted values. */
export class InvalidOptionsError extends WarpError {
  static override readonly code = 'E_WARP_INVALID_OPTIONS';
}

/** The bus could not deliver a message (disconnected transport, closed bus). */
export class BusError extends WarpError {
  static override readonly code = 'E_WARP_BUS';
}

/** The Warp instance was closed and can no longer serve requests. */
export class WarpClosedError extends WarpError {
  static override readonly code = 'E_WARP_CLOSED';
}

/** A watch-bus payload does not fit in one bus message (`maxMessageBytes` of the protocol). */
export class PayloadTooLargeError extends WarpError {
  static override readonly code = 'E_WARP_PAYLOAD_TOO_LARGE';
}
