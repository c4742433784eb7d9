/**
 * Logical ticks per millisecond. A timestamp is `wallMs * 1024 + logical`, which stays below
 * 2^53 until the year 2248, so it is a plain comparable number. More than 1024 events in one
 * millisecond carry into the next millisecond, which only runs the clock slightly ahead.
 */
export const LOGICAL_TICKS_PER_MS = 1024;

/** How far ahead of local wall time an observed timestamp may be before it is ignored. */
export const MAX_DRIFT_MS = 60_000;

/**
 * Hybrid logical clock (Kulkarni et al.): timestamps follow wall time when clocks agree and
 * never go backwards, and observing a peer's timestamp moves the clock past it, so
 * last-write-wins respects causality across nodes with skewed wall clocks.
 */
export class HybridLogicalClock {
  private last = 0;

  constructor(private readonly wallClock: () => number = Date.now) {}

  /** A timestamp for a local event, greater than every timestamp issued or observed before. */
  now(): number {
    const physical = this.wallClock() * LOGICAL_TICKS_PER_MS;
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last;
  }

  /**
   * Moves the clock past a timestamp seen from another node. A timestamp more than
   * `MAX_DRIFT_MS` ahead of this node's wall clock is ignored: one peer with a broken clock must
   * not drag the whole cluster into the future.
   */
  observe(remote: number): void {
    if (!Number.isSafeInteger(remote) || remote <= this.last) return;
    if (remote > (this.wallClock() + MAX_DRIFT_MS) * LOGICAL_TICKS_PER_MS) return;
    this.last = remote;
  }

  /** Wall-clock milliseconds of a timestamp. */
  static toMillis(ts: number): number {
    return Math.floor(ts / LOGICAL_TICKS_PER_MS);
  }
}
