import { setTimeout as pause } from 'node:timers/promises';
import { valueId } from './register-history.js';

/** A node that, at the bound, still read something other than the Store's value. */
export interface ConvergenceViolation {
  key: string;
  node: string;
  read: unknown;
  store: unknown;
}

export interface ConvergenceReport {
  keys: number;
  nodes: number;
  converged: boolean;
  /** ms until every node read the Store's value of every key (the bound, when they never did). */
  elapsedMs: number;
  boundMs: number;
  violations: ConvergenceViolation[];
}

export interface ConvergenceProbe {
  keys: readonly string[];
  nodes: readonly string[];
  /** One node's read of a key through Warp. */
  readNode(node: string, key: string): Promise<unknown>;
  /** The Store's value, read directly (never through a Warp node). */
  readStore(key: string): Promise<unknown>;
  /** How long after the faults healed (and writes stopped) every node must agree with the Store. */
  boundMs: number;
  /** Pause between two rounds of reads. Default 50 ms. */
  pollMs?: number;
}

/**
 * Convergence of EventualDistributed keys: with no write in flight, reads every key on every node
 * and in the Store, round after round, until all agree or `boundMs` passed. The violations are
 * those of the last round.
 */
export async function awaitConvergence(probe: ConvergenceProbe): Promise<ConvergenceReport> {
  const started = performance.now();
  for (;;) {
    const violations: ConvergenceViolation[] = [];
    for (const key of probe.keys) {
      const store = await probe.readStore(key);
      for (const node of probe.nodes) {
        const read = await probe.readNode(node, key).catch((error: Error) => ({ error: `${error.name}: ${error.message}` }));
        if (valueId(read) !== valueId(store)) violations.push({ key, node, read, store });
      }
    }
    const elapsedMs = performance.now() - started;
    if (violations.length === 0 || elapsedMs >= probe.boundMs) {
      return { keys: probe.keys.length, nodes: probe.nodes.length, converged: violations.length === 0, elapsedMs, boundMs: probe.boundMs, violations };
    }
    await pause(probe.pollMs ?? 50);
  }
}
