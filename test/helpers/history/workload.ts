import { setTimeout as pause } from 'node:timers/promises';
import type { NodeProcess } from '../node-process.js';
import type { HistoryCluster } from './harness.js';
import { HistoryRecorder } from './recorder.js';
import { classifyWarpFailure } from './warp-outcomes.js';

export interface WorkloadOptions {
  /** The scenario's own key space: keys are `st:<prefix>:<i>`, `ev:<prefix>:<i>`, `cnt:<prefix>:<i>`. */
  prefix: string;
  strongKeys: number;
  eventualKeys: number;
  counterKeys: number;
  /** Concurrent StrongDistributed readers per node (each node also has one strong writer). */
  strongReadersPerNode: number;
  /** Longest random pause between two operations of one client, in ms. */
  thinkMs: number;
}

/**
 * Concurrent clients on every node, each issuing one operation at a time over IPC and recording
 * it in the parent: per node one StrongDistributed writer, `strongReadersPerNode` strong readers,
 * one EventualDistributed client (reads and writes) and one counter incrementer. Writes carry
 * unique values. While a node restarts its clients wait for it.
 */
export class Workload {
  readonly strong = new HistoryRecorder(classifyWarpFailure);
  readonly eventual = new HistoryRecorder(classifyWarpFailure);
  readonly counters = new HistoryRecorder(classifyWarpFailure);
  /** The keys checked after the run; a fault may add eventual keys of its own (the clients leave those alone). */
  readonly keys: { strong: string[]; eventual: string[]; counter: string[] };
  private running = false;
  private clients: Promise<void>[] = [];
  private completed = 0;
  private readonly waiters = new Set<{ target: number; wake(): void }>();

  constructor(
    private readonly cluster: HistoryCluster,
    private readonly options: WorkloadOptions,
  ) {
    const keys = (kind: 'st' | 'ev' | 'cnt', count: number) => Array.from({ length: count }, (_, i) => `${this.keyPrefix(kind)}${i}`);
    this.keys = { strong: keys('st', options.strongKeys), eventual: keys('ev', options.eventualKeys), counter: keys('cnt', options.counterKeys) };
  }

  /** The start of every key of one kind in this workload's key space (`st:<prefix>:`). */
  keyPrefix(kind: 'st' | 'ev' | 'cnt'): string {
    return `${kind}:${this.options.prefix}:`;
  }

  /** Every operation recorded so far, over all recorders. */
  get operations(): number {
    return this.strong.operations.length + this.eventual.operations.length + this.counters.operations.length;
  }

  start(): void {
    this.running = true;
    // Keys a fault adds later (its own races) are checked for convergence but left to the fault.
    const eventualKeys = [...this.keys.eventual];
    for (let i = 0; i < this.cluster.size; i++) {
      const id = this.cluster.nodeIds[i];
      const pick = (keys: string[]) => keys[Math.floor(Math.random() * keys.length)];
      this.loop(i, (node, seq) => {
        const key = pick(this.keys.strong);
        const value = `${id}/w#${seq}`;
        return this.strong.write(`${id}/st-writer`, key, value, () => node.call('set', key, value));
      });
      for (let r = 0; r < this.options.strongReadersPerNode; r++) {
        this.loop(i, (node) => {
          const key = pick(this.keys.strong);
          return this.strong.read(`${id}/st-reader-${r}`, key, () => node.call('get', key));
        });
      }
      this.loop(i, (node, seq) => {
        const key = pick(eventualKeys);
        if (seq % 3 !== 0) return this.eventual.read(`${id}/ev-client`, key, () => node.call('get', key));
        const value = `${id}/e#${seq}`;
        return this.eventual.write(`${id}/ev-client`, key, value, () => node.call('set', key, value));
      });
      this.loop(i, (node) => {
        const key = pick(this.keys.counter);
        return this.counters.write(`${id}/incrementer`, key, 1, () => node.call('set', key, 1));
      });
    }
  }

  /** Resolves once `count` more operations completed (or `timeoutMs` passed: a stuck cluster must not hang the test). */
  untilMoreOps(count: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter = { target: this.completed + count, wake: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops issuing operations and waits up to `settleMs` for those in flight (the rest stay indeterminate). */
  async stop(settleMs: number): Promise<void> {
    this.running = false;
    const gaveUp = new AbortController();
    await Promise.race([Promise.all(this.clients), pause(settleMs, undefined, { signal: gaveUp.signal }).catch(() => undefined)]);
    gaveUp.abort();
  }

  private loop(i: number, operate: (node: NodeProcess, seq: number) => Promise<unknown>): void {
    this.clients.push(
      (async () => {
        for (let seq = 0; this.running; seq++) {
          const node = await this.cluster.whenUp(i);
          if (!this.running) return;
          // A killed node whose restart has not begun yet: nothing can be sent to it.
          if (!node.alive) {
            await pause(10);
            continue;
          }
          await operate(node, seq).catch(() => undefined);
          this.completed++;
          for (const waiter of this.waiters) if (this.completed >= waiter.target) waiter.wake();
          if (this.options.thinkMs > 0) await pause(Math.random() * this.options.thinkMs);
        }
      })(),
    );
  }
}
