import { withTimeout } from '../common/deadline.js';
import { OutageLog } from '../common/outage-log.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';

/** How long reads skip the shared tier after it failed: each request does not wait for it again. */
const SKIP_AFTER_FAILURE_MS = 1_000;
/** Keys remembered for repair; beyond it the whole shared tier is cleared when it answers again. */
const MAX_SUSPECT_KEYS = 100_000;

/**
 * The request path's view of the shared cache tier (docs/operations.md, "Redis outages"). Every
 * operation is bounded by `commandTimeout`; after a failure, reads skip the tier for a second;
 * a key whose shared copy could not be written or deleted is *suspect*: it is never read there
 * until its deletion succeeded, which is retried as soon as the tier answers again. So an outage
 * costs latency, never a stale value left behind in the shared tier.
 */
export class SharedTierGuard {
  private skipUntil = 0;
  private readonly suspect = new Set<string>();
  /** More suspects than remembered: the tier is cleared (under its prefix) before it is read again. */
  private overflowed = false;
  private repairing?: Promise<void>;
  private readonly outage: OutageLog;

  constructor(
    readonly timeoutMs: number,
    logger: WarpLogger,
    private readonly repair: { delete(key: string): Promise<void>; clear(): Promise<void> },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.outage = new OutageLog(logger, 'Warp: the shared cache tier');
  }

  /** Whether a read of `key` may go to the shared tier now. */
  readable(key: string): boolean {
    return this.now() >= this.skipUntil && !this.overflowed && !this.suspect.has(key);
  }

  /** Whether the tier is skipped right now (it failed less than a second ago). */
  get skipping(): boolean {
    return this.now() < this.skipUntil;
  }

  /** `operation`, bounded by `timeoutMs` (or `ms`), its outcome counted. */
  run<T>(operation: Promise<T>, ms = this.timeoutMs): Promise<T> {
    return withTimeout(operation, ms).then(
      (value) => {
        this.succeeded();
        return value;
      },
      (error: unknown) => {
        this.failed(error);
        throw error;
      },
    );
  }

  /** The shared copy of `key` may be stale: not read there until deleted. */
  markSuspect(key: string): void {
    if (this.overflowed) return;
    if (this.suspect.size >= MAX_SUSPECT_KEYS) {
      this.overflowed = true;
      this.suspect.clear();
      return;
    }
    this.suspect.add(key);
  }

  /** The shared copy of `key` was deleted: it may be read there again. */
  cleared(key: string): void {
    this.suspect.delete(key);
  }

  private failed(error: unknown): void {
    this.skipUntil = this.now() + SKIP_AFTER_FAILURE_MS;
    this.outage.failed(error instanceof Error ? error.message : String(error));
  }

  private succeeded(): void {
    if (this.outage.failing) this.outage.recovered();
    if ((this.suspect.size > 0 || this.overflowed) && this.repairing === undefined) {
      this.repairing = this.repairSuspects().finally(() => (this.repairing = undefined));
    }
  }

  /** Deletes the suspect keys' shared copies (or clears the tier after an overflow); what fails stays suspect. */
  private async repairSuspects(): Promise<void> {
    if (this.overflowed) {
      try {
        await withTimeout(this.repair.clear(), this.timeoutMs * 10);
        this.overflowed = false;
      } catch (error) {
        this.failed(error);
      }
      return;
    }
    for (const key of [...this.suspect]) {
      try {
        await withTimeout(this.repair.delete(key), this.timeoutMs);
        this.suspect.delete(key);
      } catch (error) {
        this.failed(error);
        return;
      }
    }
  }
}
