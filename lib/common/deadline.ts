/** The rejection `withTimeout` produces: the caller turns it into its typed error. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms}ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * `promise`, or a `DeadlineExceeded` rejection after `ms`. The abandoned operation keeps running;
 * its late rejection is handled (never unhandled) and its late result goes to `onLate` (e.g. a
 * lock acquired after its caller gave up is released there).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onLate?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const timeout = new Promise<never>((_, reject) => {
    // Not unref'ed: a caller awaits this, and it is cleared as soon as the operation settles.
    timer = setTimeout(() => {
      late = true;
      reject(new DeadlineExceeded(ms));
    }, ms);
  });
  // Only a caller that wants the late result pays for watching it; the race already handles a late rejection.
  if (onLate !== undefined) {
    promise.then(
      (value) => {
        if (late) onLate(value);
      },
      () => undefined,
    );
  }
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
