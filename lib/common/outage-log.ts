/** What an outage is logged to (a `WarpLogger` fits). */
interface OutageLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Logs a failing dependency once when it starts failing and once when it recovers, with how many
 * failures happened in between: an outage is two log lines, not one per attempt.
 */
export class OutageLog {
  private since?: number;
  private failures = 0;

  constructor(
    private readonly logger: OutageLogger,
    /** What fails, as the start of a sentence: `Warp: the shared cache tier`. */
    private readonly subject: string,
  ) {}

  get failing(): boolean {
    return this.since !== undefined;
  }

  /** Counts a failure; logs it when it is the first since the last recovery. */
  failed(detail: string): void {
    this.failures++;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.logger.warn(`${this.subject} is failing: ${detail} (further failures are counted, not logged, until it recovers)`);
  }

  /** Logs the recovery and the count, when it was failing. */
  recovered(): void {
    if (this.since === undefined) return;
    const seconds = ((Date.now() - this.since) / 1000).toFixed(1);
    this.logger.log(`${this.subject} recovered after ${this.failures} failure(s) in ${seconds} s`);
    this.since = undefined;
    this.failures = 0;
  }
}
