import type { ChaosStore } from '../chaos.store.js';

/**
 * A fault a node's Store applies to its next matching writes, set over IPC by the parent. The
 * node emits `STORE_WRITE_LANDED` once such a write is in the Store (or the Store refused it), so the parent can act at that
 * exact moment (kill the writer, start a racing write) instead of guessing with a sleep.
 */
export interface StoreFault {
  /** Applies to writes of keys starting with this. */
  keyPrefix: string;
  /** Writes it applies to before it is spent. Default 1. */
  times?: number;
  /** Hold the acknowledgement this long after the write landed in the Store. */
  delayAckMs?: number;
  /** Block the event loop (a busy loop, like a GC pause or a CPU-bound handler) this long... */
  stallMs?: number;
  /** ...just before the Store write, or just after it landed. Default 'after-write'. */
  stallPhase?: 'before-write' | 'after-write';
}

/** Emitted with `{ key, value }` when a faulted write is in the Store (before its stall or delay). */
export const STORE_WRITE_LANDED = 'store-write-landed';

/** Blocks the whole process: no timer, no I/O, no lock renewal runs meanwhile. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the point is to starve the event loop
  }
}

/** Arms `store` with the faults `add` receives; returns the controls the fixture exposes over IPC. */
export function installStoreFaults(store: ChaosStore, emit: (event: string, data: unknown) => void): { add(fault: StoreFault): void; clear(): void } {
  let faults: Array<StoreFault & { left: number }> = [];
  store.aroundWrite = async (key, value, write) => {
    const hits = faults.filter((fault) => fault.left > 0 && key.startsWith(fault.keyPrefix));
    if (hits.length === 0) return write();
    for (const fault of hits) fault.left--;
    faults = faults.filter((fault) => fault.left > 0);
    for (const fault of hits) if (fault.stallMs && fault.stallPhase === 'before-write') stall(fault.stallMs);
    try {
      await write();
    } finally {
      // Also when the Store refused it (a stale fencing token): the parent waits for the outcome.
      emit(STORE_WRITE_LANDED, { key, value });
    }
    for (const fault of hits) if (fault.stallMs && fault.stallPhase !== 'before-write') stall(fault.stallMs);
    const delay = Math.max(0, ...hits.map((fault) => fault.delayAckMs ?? 0));
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  };
  return {
    add: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    clear: () => void (faults = []),
  };
}
