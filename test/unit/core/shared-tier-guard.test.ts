import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedTierGuard } from '../../../lib/engine/shared-tier-guard.js';
import { eventually } from '../../helpers/deferred.js';
import { RecordingLogger } from '../../helpers/warp-factory.js';

function guard(now: { t: number }, repaired: string[] = [], options: { failRepair?: boolean } = {}) {
  const logger = new RecordingLogger();
  const tier = {
    delete: (key: string) => (options.failRepair ? Promise.reject(new Error('down')) : (repaired.push(key), Promise.resolve())),
    clear: () => (repaired.push('*'), Promise.resolve()),
  };
  return { logger, guard: new SharedTierGuard(50, logger, tier, () => now.t) };
}

describe('SharedTierGuard', () => {
  it('skips the tier for reads for a second after a failure, then tries it again', async () => {
    const now = { t: 0 };
    const { guard: g } = guard(now);
    assert.equal(g.readable('k'), true);
    await assert.rejects(g.run(Promise.reject(new Error('ECONNREFUSED'))));
    assert.equal(g.readable('k'), false);
    now.t = 999;
    assert.equal(g.skipping, true);
    now.t = 1_000;
    assert.equal(g.readable('k'), true);
  });

  it('counts an operation that does not answer within the timeout as failed', async () => {
    const { guard: g } = guard({ t: 0 });
    await assert.rejects(g.run(new Promise(() => undefined)), /timed out after 50ms/);
    assert.equal(g.skipping, true);
  });

  it('never reads a suspect key until its deletion succeeded, retried once the tier answers', async () => {
    const now = { t: 0 };
    const repaired: string[] = [];
    const { guard: g } = guard(now, repaired);
    g.markSuspect('k');
    assert.equal(g.readable('k'), false);
    assert.equal(g.readable('other'), true);
    await g.run(Promise.resolve('any answer'));
    await eventually(() => repaired.includes('k'));
    await eventually(() => g.readable('k'));
  });

  it('keeps a key suspect while its deletion fails', async () => {
    const { guard: g } = guard({ t: 0 }, [], { failRepair: true });
    g.markSuspect('k');
    await g.run(Promise.resolve(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(g.readable('k'), false);
  });

  it('logs an outage once when it starts and once when it ends, with the failure count', async () => {
    const now = { t: 0 };
    const { guard: g, logger } = guard(now);
    for (let i = 0; i < 50; i++) await g.run(Promise.reject(new Error('ECONNREFUSED'))).catch(() => undefined);
    now.t = 5_000;
    await g.run(Promise.resolve(1));
    assert.equal(logger.lines.length, 2, logger.lines.join('\n'));
    assert.match(logger.lines[0]!, /^warn: Warp: the shared cache tier is failing: ECONNREFUSED/);
    assert.match(logger.lines[1]!, /recovered after 50 failure\(s\)/);
  });
});
