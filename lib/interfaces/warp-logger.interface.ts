/** The subset of a logger Warp writes to; Nest's `Logger` and `console` both fit. */
export interface WarpLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}
