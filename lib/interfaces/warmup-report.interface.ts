/** Outcome of `warmup()`. */
export interface WarmupReport {
  /** Keys read from the store and put in the cache. */
  loaded: number;
  /** Keys the store did not have. */
  missing: number;
  /** Keys whose load failed, with the error. */
  failed: Array<{ key: string; error: Error }>;
  /** Pattern registrations that could not be listed because the store has no `keys()`. */
  unlistedPatterns: string[];
  durationMs: number;
}
