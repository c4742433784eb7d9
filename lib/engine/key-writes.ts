/**
 * The write of a key running now. A peer's invalidation that arrives meanwhile marks it
 * `overtaken`: a newer write exists, so this one must not install its value in the cache tiers
 * (the EventualDistributed race where the writer would serve its own, already overwritten value
 * until the TTL). Valid until the write ends: the next write of the key reuses it.
 */
export interface WriteTicket {
  overtaken: boolean;
}

/**
 * A permanent entry of the slot map, never a key (keys are strings): a `Map` emptied by a delete
 * shrinks, a runtime call and a new table per uncontended write; one entry left keeps its table.
 */
const KEEP = Symbol('keep');

/** A key with a write running: its ticket, and the writes queued behind it (first in, first out). */
interface Slot extends WriteTicket {
  queued: Array<() => void> | undefined;
}

/**
 * Runs the writes of a key one at a time inside this process, so two writes of a key cannot
 * interleave their read-merge-write, and carries each write's ticket. One object per key while
 * writes of it run, removed when the last ends: an uncontended write costs a `Map` set and delete,
 * and no promise of its own (`tryBegin`/`end`).
 */
export class KeyWrites {
  private readonly slots = new Map<string | typeof KEEP, Slot>([[KEEP, { overtaken: false, queued: undefined }]]);

  /** Begins a write of `key` when none is running: its ticket, else `undefined` (queue with `run`). */
  tryBegin(key: string): WriteTicket | undefined {
    if (this.slots.has(key)) return undefined;
    const slot: Slot = { overtaken: false, queued: undefined };
    this.slots.set(key, slot);
    return slot;
  }

  /** Ends the write holding `ticket` and starts the next queued write of `key`, if any. */
  end(key: string, ticket: WriteTicket): void {
    const slot = ticket as Slot;
    const next = slot.queued?.shift();
    if (next === undefined) {
      this.slots.delete(key);
      return;
    }
    slot.overtaken = false;
    next();
  }

  /** Runs `section` once every write of `key` running or queued before it has ended; ends it when it settles. */
  run<T>(key: string, section: (ticket: WriteTicket) => Promise<T>): Promise<T> {
    const ticket = this.tryBegin(key);
    if (ticket !== undefined) return this.held(key, ticket, section);
    const slot = this.slots.get(key)!;
    return new Promise<T>((resolve, reject) => {
      (slot.queued ??= []).push(() => void this.held(key, slot, section).then(resolve, reject));
    });
  }

  /** A peer wrote `key`: the write of it running here, if any, is overtaken. */
  overtake(key: string): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) slot.overtaken = true;
  }

  /** Resolves once every write running or queued now has ended (shutdown). */
  async idle(): Promise<void> {
    const keys = [...this.slots.keys()].filter((key): key is string => key !== KEEP);
    await Promise.all(keys.map((key) => this.run(key, settled)));
  }

  private held<T>(key: string, ticket: WriteTicket, section: (ticket: WriteTicket) => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = section(ticket);
    } catch (error) {
      result = Promise.reject(error);
    }
    const end = (): void => this.end(key, ticket);
    result.then(end, end);
    return result;
  }
}

function settled(): Promise<void> {
  return Promise.resolve();
}
