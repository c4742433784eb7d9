#!/usr/bin/env node
// The long form of the consistency histories (`npm run jepsen`): three Warp processes on a private
// redis-server, every fault of test/helpers/history/faults.ts under a heavier workload, repeated.
// Prints per fault: ops checked, linearizability violations, convergence and counter violations,
// then a witness for each kind of violation. Exits 1 when anything was violated (or unknown).
//
// Usage: npm run jepsen -- [--runs 3] [--only sigstop-long,redis-restart] [--ops 2000] [--keys 5]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FAULTS } from '../helpers/history/faults.js';
import { HistoryCluster } from '../helpers/history/harness.js';
import { describeScenario, formatTable, totalsOf } from '../helpers/history/report-table.js';
import { runScenario, type ScenarioReport, type ScenarioSizes } from '../helpers/history/scenario.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { skipUnlessOnPath } from '../helpers/services.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    ops: { type: 'string', default: '2000' },
    keys: { type: 'string', default: '5' },
  },
});
const runs = Number(values.runs);
const ops = Number(values.ops);
const keys = Number(values.keys);
const faults = values.only === undefined ? FAULTS : FAULTS.filter((fault) => values.only!.split(',').includes(fault.name));
if (faults.length === 0) throw new Error(`--only matches no fault; faults: ${FAULTS.map((f) => f.name).join(', ')}`);

const sizes: ScenarioSizes = {
  opsBeforeFault: ops,
  opsAfterHeal: ops,
  strongKeys: keys,
  eventualKeys: keys,
  counterKeys: 2,
  strongReadersPerNode: 2,
  thinkMs: 2,
  convergenceBoundMs: 3000,
  healTimeoutMs: 30_000,
  searchBudget: 5_000_000,
};

if (await skipUnlessOnPath(['redis-server'], 'the jepsen run')) process.exit(2);
const redis = await PrivateRedis.start({ durable: true });
const cluster = await HistoryCluster.start({ redis, namespace: `jepsen-${randomUUID().slice(0, 8)}` });
const reports = new Map<string, ScenarioReport[]>(faults.map((fault) => [fault.name, []]));
const errors: string[] = [];
try {
  for (let run = 0; run < runs; run++) {
    for (const fault of faults) {
      try {
        const report = await runScenario(cluster, redis, fault, sizes, run);
        reports.get(fault.name)!.push(report);
        const totals = totalsOf(fault.name, [report]);
        console.log(
          `run ${run + 1}/${runs} ${fault.name}: ${totals.opsChecked} ops checked, ${totals.violations} violations, ` +
            `${totals.unknown} unknown, ${totals.convergenceViolations} convergence, ${totals.counterViolations} counter ` +
            `(${(report.durationMs / 1000).toFixed(1)} s)`,
        );
      } catch (error) {
        errors.push(`run ${run + 1} ${fault.name}: ${String(error)}`);
        console.log(`run ${run + 1}/${runs} ${fault.name}: ERROR ${String(error)}`);
      }
    }
  }
} finally {
  await cluster.stop();
  await redis.stop();
}

const rows = faults.map((fault) => totalsOf(fault.name, reports.get(fault.name)!));
console.log(`\n${formatTable(rows)}\n`);
for (const fault of faults) {
  const witnessed = reports.get(fault.name)!.map((report) => describeScenario(report)).filter((text) => text !== '');
  if (witnessed.length > 0) console.log(`── ${fault.name}: ${fault.title}\n${witnessed[0]}\n`);
}
for (const error of errors) console.log(`ERROR ${error}`);
const broken = errors.length > 0 || rows.some((r) => r.violations + r.unknown + r.convergenceViolations + r.counterViolations > 0);
process.exit(broken ? 1 : 0);
