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

  constructor(private readonly classify: FailureClassifier) {}

  /** Runs a read and records what it returned; a rejected read is recorded and rethrown. */
  read<T>(process: string, key: string, run: () => Promise<T>): Promise<T> {
    return this.record({ process, key, type: 'read', value: undefined }, run, true);
  }

  /** Runs a write of `value` and records its outcome; a rejected write is recorded and rethrown. */
  write<T>(process: string, key: string, value: unknown, run: () => Promise<T>): Promise<T> {
    return this.record({ process, key, type: 'write', value }, run, false);
  }

  private async record<T>(fields: Pick<Operation, 'process' | 'key' | 'type' | 'value'>, run: () => Promise<T>, isRead: boolean): Promise<T> {
    const op: Operation = { ...fields, invoke: now(), complete: undefined, outcome: 'info' };
    this.operations.push(op);
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
    }
  }
}
