import { ABSENT, type SearchOp, type ValueId } from './register-history.js';

/** Where the search got furthest before every branch died: what a diagnosis starts from. */
export interface Frontier {
  /** How many operations were linearized on the deepest path. */
  depth: number;
  /** The register's value at that point. */
  state: ValueId;
  /** The last operations linearized on that path, oldest first. */
  lastLinearized: SearchOp[];
  /** The pending operation with the earliest completion: the one that could not be placed. */
  stuck: SearchOp;
}

export type SearchVerdict =
  | { verdict: 'linearizable'; explored: number }
  | { verdict: 'violation'; explored: number; frontier: Frontier }
  | { verdict: 'unknown'; explored: number; frontier: Frontier };

interface Frame {
  candidates: number[];
  next: number;
  /** The operation whose linearization opened this frame (-1 for the root). */
  chosen: number;
  stateBefore: ValueId;
  firstBefore: number;
}

const LAST_LINEARIZED_KEPT = 6;

/**
 * Wing–Gong search with Lowe's memoization over one register's history (`ops` sorted by invoke,
 * every interval finite, initial value absent): is there a total order of all operations that
 * respects real time (an operation completed before another was invoked comes first) in which
 * every read returns the latest write?
 *
 * Depth-first: at each step any pending operation invoked before the earliest pending completion
 * may go next. A configuration (set of linearized operations, register value) already explored is
 * never explored again; the linearized set is stored as the index of the first pending operation
 * plus the few linearized ones after it (they all overlap that pending one in time), which keeps
 * memo keys short. `budget` bounds the configurations explored: past it the answer is `unknown`.
 */
export function searchRegister(ops: readonly SearchOp[], budget: number): SearchVerdict {
  const n = ops.length;
  if (n === 0) return { verdict: 'linearizable', explored: 0 };
  const linearized = new Uint8Array(n);
  const seen = new Set<string>();
  let state = ABSENT;
  let first = 0;
  let count = 0;
  let explored = 0;
  const path: number[] = [];
  let deepest: Frontier | undefined;

  const candidatesFrom = (start: number): number[] => {
    const candidates: number[] = [];
    let earliestCompletion = Infinity;
    for (let j = start; j < n && ops[j].invoke <= earliestCompletion; j++) {
      if (linearized[j]) continue;
      candidates.push(j);
      if (ops[j].complete < earliestCompletion) earliestCompletion = ops[j].complete;
    }
    return candidates;
  };
  const memoKey = (value: ValueId): string => {
    let key = `${first}|`;
    if (first < n) {
      const horizon = ops[first].complete;
      for (let j = first + 1; j < n && ops[j].invoke <= horizon; j++) if (linearized[j]) key += `${j - first},`;
    }
    return `${key}|${value}`;
  };
  const frontier = (): Frontier => {
    let stuck = -1;
    for (let j = first; j < n; j++) if (!linearized[j] && (stuck < 0 || ops[j].complete < ops[stuck].complete)) stuck = j;
    return { depth: count, state, lastLinearized: path.slice(-LAST_LINEARIZED_KEPT).map((i) => ops[i]), stuck: ops[stuck] };
  };

  const stack: Frame[] = [{ candidates: candidatesFrom(0), next: 0, chosen: -1, stateBefore: ABSENT, firstBefore: 0 }];
  deepest = frontier();
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next === frame.candidates.length) {
      // Every continuation from here died: undo the step that led here.
      stack.pop();
      if (frame.chosen >= 0) {
        linearized[frame.chosen] = 0;
        count--;
        path.pop();
        state = frame.stateBefore;
        first = frame.firstBefore;
      }
      continue;
    }
    const i = frame.candidates[frame.next++];
    const op = ops[i];
    if (op.kind === 'read' && op.value !== state) continue;
    const nextState = op.kind === 'write' ? op.value : state;
    const firstBefore = first;
    linearized[i] = 1;
    if (i === first) while (first < n && linearized[first]) first++;
    const key = memoKey(nextState);
    if (seen.has(key)) {
      linearized[i] = 0;
      first = firstBefore;
      continue;
    }
    seen.add(key);
    count++;
    path.push(i);
    const stateBefore = state;
    state = nextState;
    if (count === n) return { verdict: 'linearizable', explored };
    if (count > deepest.depth) deepest = frontier();
    if (++explored > budget) return { verdict: 'unknown', explored, frontier: deepest };
    stack.push({ candidates: candidatesFrom(first), next: 0, chosen: i, stateBefore, firstBefore });
  }
  return { verdict: 'violation', explored, frontier: deepest };
}
