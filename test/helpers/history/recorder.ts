import { now, type Operation } from './operation.js';

/** Decides what a rejected operation means: `fail` (definitely did not take effect) or `info` (unknown). */
export type FailureClassifier = (error: unknown) => 'fail' | 'info';

/**
 * Records operations as a client sees them: `invoke` just before the request leaves, `complete`
 * when its answer arrives. An operation is recorded at invoke as `info`, so one that never
 * answers (the process was killed, the run ended) stays indeterminate.
 */
export class HistoryRecorder {
  readonly operations: Operation[] = [];
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly classify: FailureClassifier) {}

  /** Runs a read and records what it returned; a rejected read is recorded and rethrown. */
  read<T>(process: string, key: string, run: () => Promise<T>): Promise<T> {
    return this.record({ process, key, type: 'read', value: undefined }, run, true);
  }

  /** Runs a write of `value` and records its outcome; a rejected write is recorded and rethrown. */
  write<T>(process: string, key: string, value: unknown, run: () => Promise<T>): Promise<T> {
    return this.record({ process, key, type: 'write', value }, run, false);
  }

  /** Operations still waiting for an answer. */
  get pending(): number {
    return this.inFlight;
  }

  /** Resolves once no operation is in flight, or after `timeoutMs` (those left stay `info`). */
  async settled(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return result;
  }

  private async record<T>(fields: Pick<Operation, 'process' | 'key' | 'type' | 'value'>, run: () => Promise<T>, isRead: boolean): Promise<T> {
    const op: Operation = { ...fields, invoke: now(), complete: undefined, outcome: 'info' };
    this.operations.push(op);
    this.inFlight++;
    try {
      const result = await run();
      op.complete = now();
      op.outcome = 'ok';
      if (isRead) op.value = result;
      return result;
    } catch (error) {
      op.complete = now();
      op.outcome = this.classify(error);
      op.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw error;
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}
