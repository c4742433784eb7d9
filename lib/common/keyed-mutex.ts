/**
 * Serializes async sections per key inside one process, so two local `set`s of a key cannot
 * interleave their read-merge-write. Entries are removed when the last holder leaves.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves once every section running or queued now has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }

  /**
   * Runs `section` once every earlier section of `key` has settled. The caller gets the section's
   * own promise (no extra async frame on the uncontended hot path); the tail never rejects.
   */
  run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let result: Promise<T>;
    try {
      result = previous === undefined ? section() : previous.then(section);
    } catch (error) {
      result = Promise.reject(error);
    }
    // One reaction both settles the tail and removes it when nobody queued behind it.
    const leave = (): void => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const tail: Promise<void> = result.then(leave, leave);
    this.tails.set(key, tail);
    return result;
  }
}
