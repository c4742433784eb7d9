import { awaitConvergence, type ConvergenceReport } from './convergence.js';
import { checkCounter, type CounterReport } from './counter.js';
import type { Fault } from './faults.js';
import type { HistoryCluster } from './harness.js';
import { checkLinearizability, type LinearizabilityReport } from './linearizability.js';
import type { PrivateRedis } from '../private-redis.js';
import { Workload, type WorkloadOptions } from './workload.js';

export interface ScenarioSizes extends Omit<WorkloadOptions, 'prefix'> {
  /** Operations completed before the fault is injected, and after it healed. */
  opsBeforeFault: number;
  opsAfterHeal: number;
  /** Stated bound: ms after the workload stopped within which every node must read the Store's value. */
  convergenceBoundMs: number;
  /** Longest wait for the cluster to heal after the fault. */
  healTimeoutMs: number;
  /** Configurations one key's linearizability search may explore. */
  searchBudget: number;
}

export interface ScenarioReport {
  fault: string;
  linearizability: LinearizabilityReport;
  convergence: ConvergenceReport;
  counters: CounterReport[];
  durationMs: number;
}

/** Longest wait for one phase of the workload: a cluster that stopped answering must not hang the run. */
const PHASE_TIMEOUT_MS = 20_000;

/**
 * One scenario: a fresh key space (`<fault>-<run>`), the workload running, `fault` injected and
 * healed, the workload running on, then stopped; then the three checks: every StrongDistributed
 * key's history linearizable, every EventualDistributed key converged to the Store within the
 * bound, every counter exact.
 */
export async function runScenario(cluster: HistoryCluster, redis: PrivateRedis, fault: Fault, sizes: ScenarioSizes, run = 0): Promise<ScenarioReport> {
  const started = performance.now();
  await cluster.awaitHealthy(sizes.healTimeoutMs);
  await Promise.all(cluster.nodeIds.map((_, i) => cluster.node(i).call('clearStoreFaults')));
  const workload = new Workload(cluster, { ...sizes, prefix: `${fault.name}-${run}` });
  workload.start();
  try {
    await workload.untilMoreOps(sizes.opsBeforeFault, PHASE_TIMEOUT_MS);
    await fault.inject({ cluster, workload, redis });
    await cluster.awaitHealthy(sizes.healTimeoutMs);
    await workload.untilMoreOps(sizes.opsAfterHeal, PHASE_TIMEOUT_MS);
  } finally {
    await workload.stop(PHASE_TIMEOUT_MS);
  }
  const linearizability = checkLinearizability(workload.strong.operations, { budget: sizes.searchBudget });
  const convergence = await awaitConvergence({
    keys: workload.keys.eventual,
    nodes: cluster.nodeIds,
    readNode: async (node, key) => (await cluster.whenUp(cluster.nodeIds.indexOf(node))).call('get', key),
    readStore: (key) => cluster.storeValue(key),
    boundMs: sizes.convergenceBoundMs,
  });
  const counters: CounterReport[] = [];
  for (const key of workload.keys.counter) counters.push(checkCounter(key, workload.counters.operations, await cluster.storeValue(key)));
  return { fault: fault.name, linearizability, convergence, counters, durationMs: performance.now() - started };
}
