import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventualInvalidations } from '../../../lib/cluster/eventual-invalidations.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import { RecordingLogger } from '../../helpers/warp-factory.js';

describe('EventualInvalidations', () => {
  it('publishes a batch queued in the timers phase within a few ms, with nothing else keeping the loop busy', async () => {
    let queuedAt = 0;
    let onPublish!: (elapsed: number) => void;
    const published = new Promise<number>((resolve) => (onPublish = resolve));
    const invalidations = new EventualInvalidations({
      invalidationDelay: 2,
      publishBatch: async () => onPublish(performance.now() - queuedAt),
      publishReset: async () => undefined,
      transportUp: () => true,
      metrics: NOOP_METRICS,
      logger: new RecordingLogger(),
    });
    // The only other thing alive: a timer one second out. An idle poll phase would sleep until it.
    const keepAlive = setTimeout(() => undefined, 1_000);
    setTimeout(() => {
      queuedAt = performance.now();
      invalidations.add('k', false); // a write that completed in a timer callback (@Interval, a Store resolving from a timer)
    }, 5);
    // Awaiting a bare promise adds no handle: only the flush itself can end this wait early.
    const elapsed = await published;
    clearTimeout(keepAlive);
    invalidations.close();
    assert.ok(elapsed < 50, `published after ${elapsed} ms`);
  });

  it('sends the keys queued together on an idle bus at once, coalesces the keys queued while a batch is in flight, and marks explicit drops', async () => {
    const batches: Array<{ keys: string[]; dropped: string[] }> = [];
    let land!: () => void;
    const invalidations = new EventualInvalidations({
      invalidationDelay: 1_000,
      publishBatch: (keys, dropped) => {
        batches.push({ keys, dropped });
        return new Promise<void>((resolve) => (land = resolve));
      },
      publishReset: async () => undefined,
      transportUp: () => true,
      metrics: NOOP_METRICS,
      logger: new RecordingLogger(),
    });
    invalidations.add('a', false);
    invalidations.add('b', true);
    assert.deepEqual(batches, [], 'the microtasks run first');
    await Promise.resolve();
    assert.deepEqual(batches, [{ keys: ['a', 'b'], dropped: ['b'] }], 'then it leaves, no event-loop turn later');
    invalidations.add('c', true);
    invalidations.add('d', false);
    invalidations.add('c', false);
    await Promise.resolve();
    assert.equal(batches.length, 1, 'waits while a batch is in flight');
    land();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [
      { keys: ['a', 'b'], dropped: ['b'] },
      { keys: ['c', 'd'], dropped: ['c'] },
    ]);
    land();
    invalidations.close();
  });

  it('sends one early batch per event-loop turn: a burst of awaited writes in one turn shares one more batch when the turn ends', async () => {
    const batches: string[][] = [];
    const invalidations = new EventualInvalidations({
      invalidationDelay: 1_000,
      publishBatch: async (keys) => void batches.push(keys),
      publishReset: async () => undefined,
      transportUp: () => true,
      metrics: NOOP_METRICS,
      logger: new RecordingLogger(),
    });
    // A loop of awaited writes: every key queued after the first one's batch left, within one turn.
    for (let i = 0; i < 100; i++) {
      invalidations.add(`k${i % 10}`, false);
      await Promise.resolve();
      await Promise.resolve();
    }
    assert.deepEqual(batches, [['k0']], 'the first key left at once, the rest wait for the end of the turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [['k0'], ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'k0']], 'the other 99 writes: one batch of their 10 keys');
    // The next turn gets its early batch again.
    invalidations.add('late', false);
    await Promise.resolve();
    assert.deepEqual(batches.at(-1), ['late']);
    invalidations.close();
  });
});
