import type { Operation } from './operation.js';

/** A register value as the search compares it: its JSON text; `ABSENT` for `undefined`. */
export type ValueId = string;
/** JSON text is never empty, so the empty string cannot collide with a real value. */
export const ABSENT: ValueId = '';

export function valueId(value: unknown): ValueId {
  return value === undefined ? ABSENT : JSON.stringify(value);
}

/** An operation as the search sees it: finite interval, value as text, and where it came from. */
export interface SearchOp {
  kind: 'read' | 'write';
  value: ValueId;
  invoke: number;
  complete: number;
  source: Operation;
}

/** A read no write can explain, found before any search. */
export interface Unexplained {
  read: Operation;
  /** The write of that value that failed definitely, when there is one. */
  failedWrite?: Operation;
}

/** One key's history ready for the search, sorted by invoke. */
export interface RegisterHistory {
  ops: SearchOp[];
  unexplained?: Unexplained;
}

/**
 * Turns one key's operations into the search's input:
 * - reads that failed or are indeterminate tell nothing: dropped;
 * - a `fail` write never took effect: dropped (a read of its value then has no write to explain it);
 * - an `info` write no `ok` read observed is indistinguishable from one that never happened:
 *   dropped. One that was observed must precede its first observer, so it gets that read's
 *   completion instead of +∞ (values are unique, so this constrains nothing the history did not).
 *
 * @throws Error when two non-failed writes of the key carry the same value: the checker relies on
 *   unique values (both for speed and for the info-write rule above).
 */
export function prepareRegisterHistory(key: string, operations: readonly Operation[]): RegisterHistory {
  const writes = new Map<ValueId, Operation>();
  const failed = new Map<ValueId, Operation>();
  const reads: Operation[] = [];
  for (const op of operations) {
    if (op.outcome !== 'ok' && op.outcome !== 'fail' && op.outcome !== 'info') throw new Error(`unknown outcome ${String(op.outcome)}`);
    if (op.outcome === 'ok' && (op.complete === undefined || !(op.complete >= op.invoke))) {
      throw new Error(`an ok ${op.type} of "${key}" needs complete >= invoke (got ${op.invoke} → ${op.complete})`);
    }
    if (op.type === 'read') {
      if (op.outcome === 'ok') reads.push(op);
    } else if (op.outcome === 'fail') {
      failed.set(valueId(op.value), op);
    } else {
      const id = valueId(op.value);
      if (id === ABSENT) throw new Error(`a write of "${key}" carries no value`);
      if (writes.has(id)) throw new Error(`two writes of "${key}" carry the value ${id}: the checker needs unique values per key`);
      writes.set(id, op);
    }
  }

  // The earliest completion among the reads of each value: an observed info write precedes it.
  const firstObserved = new Map<ValueId, number>();
  for (const read of reads) {
    const id = valueId(read.value);
    firstObserved.set(id, Math.min(firstObserved.get(id) ?? Infinity, read.complete!));
  }

  const ops: SearchOp[] = [];
  for (const [id, write] of writes) {
    if (write.outcome === 'ok') ops.push({ kind: 'write', value: id, invoke: write.invoke, complete: write.complete!, source: write });
    else if (firstObserved.has(id)) ops.push({ kind: 'write', value: id, invoke: write.invoke, complete: firstObserved.get(id)!, source: write });
  }
  let unexplained: Unexplained | undefined;
  for (const read of reads) {
    const id = valueId(read.value);
    const write = writes.get(id);
    if (id !== ABSENT && (write === undefined || write.invoke > read.complete!) && unexplained === undefined) {
      unexplained = { read, failedWrite: failed.get(id) };
    }
    ops.push({ kind: 'read', value: id, invoke: read.invoke, complete: read.complete!, source: read });
  }
  ops.sort((a, b) => a.invoke - b.invoke || a.complete - b.complete);
  return { ops, unexplained };
}
