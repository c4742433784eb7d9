import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkLinearizability, describeViolation, type LinearizabilityReport } from '../../helpers/history/linearizability.js';
import { HistoryRecorder } from '../../helpers/history/recorder.js';

/** A seeded PRNG (mulberry32), so a failing seed replays the same interleaving. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields to the event loop a random number of times: where other clients' steps interleave. */
async function interleave(rand: () => number): Promise<void> {
  for (let n = Math.floor(rand() * 4); n > 0; n--) await new Promise((resolve) => setImmediate(resolve));
}

interface SimulatedNode {
  read(key: string): Promise<unknown>;
  write(key: string, value: unknown): Promise<void>;
}

/** Reads and writes the shared map only: each operation takes effect atomically inside its interval. */
function readThroughNode(shared: Map<string, unknown>, rand: () => number): SimulatedNode {
  return {
    async read(key) {
      await interleave(rand);
      const value = shared.get(key);
      await interleave(rand);
      return value;
    },
    async write(key, value) {
      await interleave(rand);
      shared.set(key, value);
      await interleave(rand);
    },
  };
}

/** Serves reads from a per-node map filled on a miss and never invalidated: peers' writes go unseen. */
function naiveCachingNode(shared: Map<string, unknown>, rand: () => number): SimulatedNode {
  const local = new Map<string, unknown>();
  return {
    async read(key) {
      await interleave(rand);
      if (local.has(key)) return local.get(key);
      const value = shared.get(key);
      await interleave(rand);
      local.set(key, value);
      return value;
    },
    async write(key, value) {
      await interleave(rand);
      shared.set(key, value);
      local.set(key, value);
      await interleave(rand);
    },
  };
}

/** Three nodes, two clients each, issuing random reads and writes of two keys; returns the checked history. */
async function simulate(seed: number, makeNode: (shared: Map<string, unknown>, rand: () => number) => SimulatedNode): Promise<LinearizabilityReport> {
  const rand = random(seed);
  const shared = new Map<string, unknown>();
  const recorder = new HistoryRecorder(() => 'info');
  const nodes = Array.from({ length: 3 }, () => makeNode(shared, rand));
  const clients = nodes.flatMap((node, n) =>
    [0, 1].map(async (c) => {
      const process = `node-${n}/client-${c}`;
      for (let i = 0; i < 40; i++) {
        const key = rand() < 0.5 ? 'k1' : 'k2';
        if (rand() < 0.3) await recorder.write(process, key, `${process}#${i}`, () => node.write(key, `${process}#${i}`));
        else await recorder.read(process, key, () => node.read(key));
      }
    }),
  );
  await Promise.all(clients);
  return checkLinearizability(recorder.operations);
}

describe('checkLinearizability on simulated caches (in one process)', () => {
  it('flags a cache that serves a per-node copy without invalidation, with a witness of a few operations that is itself a violation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const report = await simulate(seed, naiveCachingNode);
        assert.equal(report.verdict, 'violation', `seed ${seed}`);
        for (const violation of report.violations) {
          // A stale read needs 3 operations, a new-old-new inversion 5; 8 of 240 leaves room for both.
          assert.ok(violation.window.length <= 8, describeViolation(violation));
          assert.equal(checkLinearizability(violation.window).verdict, 'violation', describeViolation(violation));
        }
      }),
      { numRuns: 20 },
    );
  });

  it('accepts a cache that always reads the shared map', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const report = await simulate(seed, readThroughNode);
        assert.equal(report.verdict, 'linearizable', report.violations.map(describeViolation).join('\n'));
        assert.equal(report.opsChecked, 240);
      }),
      { numRuns: 20 },
    );
  });
});
