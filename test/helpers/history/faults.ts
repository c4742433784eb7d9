import { setTimeout as pause } from 'node:timers/promises';
import { busConnectionName } from '../node-process.js';
import { connectionIdsNamed } from '../redis-connections.js';
import type { PrivateRedis } from '../private-redis.js';
import type { HistoryCluster } from './harness.js';
import { STORE_WRITE_LANDED, type StoreFault } from './store-faults.js';
import type { Workload } from './workload.js';

export interface FaultContext {
  cluster: HistoryCluster;
  workload: Workload;
  redis: PrivateRedis;
}

/** One fault injected into a running workload; `inject` resolves once the fault has healed. */
export interface Fault {
  name: string;
  title: string;
  inject(context: FaultContext): Promise<void>;
}

type Landed = { key: string; value: unknown };

/**
 * Arms `node`'s Store with `fault` and resolves with the first faulted write once it is in the
 * Store (its acknowledgement delayed or its process stalled from then on).
 */
async function armAndAwaitLanding(context: FaultContext, node: number, fault: StoreFault, timeoutMs = 10_000): Promise<Landed> {
  const process = context.cluster.node(node);
  const landed = process.next<Landed>(STORE_WRITE_LANDED, timeoutMs, (data) => data.key.startsWith(fault.keyPrefix));
  await process.call('addStoreFault', fault);
  return landed;
}

function freeze(node: number, ms: number): (context: FaultContext) => Promise<void> {
  return async ({ cluster }) => {
    cluster.node(node).signal('SIGSTOP');
    await pause(ms);
    cluster.node(node).signal('SIGCONT');
  };
}

/** Every fault the histories are checked under, one per scenario. */
export const FAULTS: readonly Fault[] = [
  { name: 'none', title: 'no fault (baseline)', inject: async () => undefined },
  {
    name: 'sigstop-short',
    title: 'a node frozen (SIGSTOP) for 300 ms, under the 600 ms heartbeat window',
    inject: freeze(1, 300),
  },
  {
    name: 'sigstop-long',
    title: 'a node frozen (SIGSTOP) for 2.5 s, past the heartbeat window and the lock leases',
    inject: freeze(1, 2500),
  },
  {
    name: 'bus-connection-killed',
    title: "a node's bus subscriber connection killed (CLIENT KILL ID of node-1's RedisBus connection)",
    async inject({ cluster }) {
      const name = busConnectionName(cluster.namespace, cluster.nodeIds[1]!);
      const ids = await connectionIdsNamed(cluster.admin, name);
      if (ids.length === 0) throw new Error(`no connection named ${name}`);
      for (const id of ids) await cluster.admin.client('KILL', 'ID', id);
    },
  },
  {
    name: 'redis-restart',
    title: 'the redis-server killed and restarted on its port (data kept: AOF fsync always)',
    async inject({ redis }) {
      await redis.kill();
      await redis.start();
    },
  },
  {
    name: 'writer-killed-holding-lock',
    title: 'a writer SIGKILLed while it holds the write lock (its Store ack delayed), restarted with its nodeId',
    async inject(context) {
      await armAndAwaitLanding(context, 2, { keyPrefix: context.workload.keyPrefix('st'), delayAckMs: 60_000 });
      await context.cluster.restart(2);
    },
  },
  {
    name: 'writer-stalled-after-store-write',
    title: 'a writer stalled (busy loop) past its lock lease right after its Store write',
    async inject(context) {
      const stallMs = context.cluster.lockTtlMs * 1.5;
      await armAndAwaitLanding(context, 0, { keyPrefix: context.workload.keyPrefix('st'), stallMs, stallPhase: 'after-write' });
      await context.cluster.node(0).call('peers'); // answers once the stall is over
    },
  },
  {
    name: 'writer-stalled-before-store-write',
    title: 'a writer stalled past its lock lease just before its Store write (what fencing tokens are for)',
    async inject(context) {
      const stallMs = context.cluster.lockTtlMs * 1.5;
      await armAndAwaitLanding(context, 0, { keyPrefix: context.workload.keyPrefix('st'), stallMs, stallPhase: 'before-write' });
    },
  },
  {
    name: 'eventual-ack-race',
    title: "an EventualDistributed write whose Store ack is delayed 20 ms while another node writes the key 5 ms later",
    async inject(context) {
      const { cluster, workload } = context;
      for (let round = 0; round < 10; round++) {
        const key = `${workload.keyPrefix('ev')}race-${round}`;
        workload.keys.eventual.push(key);
        const first = `${cluster.nodeIds[0]}/race#${round}`;
        const second = `${cluster.nodeIds[1]}/race#${round}`;
        // Both nodes hold the key in their local tier before the race.
        await Promise.all([0, 1, 2].map((i) => cluster.node(i).call('get', key)));
        const landed = armAndAwaitLanding(context, 0, { keyPrefix: key, delayAckMs: 20 });
        const slow = workload.eventual.write(`${cluster.nodeIds[0]}/racer`, key, first, () => cluster.node(0).call('set', key, first));
        await landed;
        await pause(5);
        const fast = workload.eventual.write(`${cluster.nodeIds[1]}/racer`, key, second, () => cluster.node(1).call('set', key, second));
        await Promise.allSettled([slow, fast]);
      }
    },
  },
];
