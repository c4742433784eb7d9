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

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let leave!: () => void;
    const tail = new Promise<void>((resolve) => (leave = resolve));
    this.tails.set(key, tail);
    try {
      if (previous !== undefined) await previous;
      return await section();
    } finally {
      leave();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
