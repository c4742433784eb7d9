/**
 * Polls `check` every `intervalMs` until it returns true: a test awaits a condition that holds
 * later (a peer's invalidation, a cluster forming) instead of sleeping a guessed time.
 *
 * @throws Error `condition not met within <timeoutMs>ms` once `timeoutMs` has passed; an error
 *   `check` throws rejects at once.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
