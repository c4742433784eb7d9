// The short form of the consistency histories (the long form is `npm run jepsen`): three Warp
// processes on a private redis-server, one scenario per fault, each on its own keys. After each
// fault heals: every StrongDistributed history linearizable, every EventualDistributed key
// converged to the Store, every counter exact. See test/helpers/history/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FAULTS } from '../helpers/history/faults.js';
import { HistoryCluster } from '../helpers/history/harness.js';
import {
  describeConvergence,
  describeCounters,
  describeLinearizability,
  formatTable,
  totalsOf,
  type FaultTotals,
} from '../helpers/history/report-table.js';
import { runScenario, type ScenarioReport, type ScenarioSizes } from '../helpers/history/scenario.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { skipUnlessOnPath } from '../helpers/services.js';

const skip = await skipUnlessOnPath(['redis-server'], 'a private redis-server');

const SIZES: ScenarioSizes = {
  opsBeforeFault: 150,
  opsAfterHeal: 150,
  strongKeys: 3,
  eventualKeys: 3,
  counterKeys: 2,
  strongReadersPerNode: 2,
  thinkMs: 2,
  convergenceBoundMs: 2000,
  healTimeoutMs: 15_000,
  searchBudget: 1_000_000,
};

describe('consistency histories of three Warp processes on a private redis-server, under faults', { skip }, () => {
  let redis: PrivateRedis | undefined;
  let cluster: HistoryCluster | undefined;
  const totals: FaultTotals[] = [];

  before(async () => {
    redis = await PrivateRedis.start({ durable: true });
    cluster = await HistoryCluster.start({ redis, namespace: `history-${randomUUID().slice(0, 8)}` });
  });

  after(async () => {
    await cluster?.stop();
    await redis?.stop();
    if (totals.length > 0) console.log(`\n${formatTable(totals)}\n`);
  });

  for (const fault of FAULTS) {
    describe(fault.title, () => {
      let report: ScenarioReport;

      before(async () => {
        report = await runScenario(cluster!, redis!, fault, SIZES);
        totals.push(totalsOf(fault.name, [report]));
      });

      it('records a history the checker could decide, with operations before and after the fault', () => {
        assert.ok(report.linearizability.opsChecked >= 100, `only ${report.linearizability.opsChecked} strong operations checked`);
        assert.equal(report.linearizability.keys, SIZES.strongKeys);
        assert.deepEqual(report.linearizability.unknownKeys, [], 'the search ran out of budget');
      });

      it('keeps every StrongDistributed history linearizable', () => {
        assert.equal(report.linearizability.verdict, 'linearizable', describeLinearizability(report, 1));
      });

      it(`converges every EventualDistributed key to the Store within ${SIZES.convergenceBoundMs} ms`, () => {
        assert.equal(report.convergence.violations.length, 0, describeConvergence(report));
      });

      it('keeps every counter equal to its acknowledged increments plus some indeterminate ones', () => {
        assert.equal(report.counters.filter((counter) => !counter.ok).length, 0, describeCounters(report));
      });
    });
  }
});
