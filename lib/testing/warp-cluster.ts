import { randomUUID } from 'node:crypto';
import { MemoryBus, type MemoryBusNode } from '../bus/memory.bus.js';
import type { WarpStore } from '../store/store.interface.js';
import { MemoryStore } from '../store/memory.store.js';
import { Warp } from '../engine/warp.js';
import { eventually } from './eventually.js';
import type { WarpOptions } from '../interfaces/warp-options.interface.js';

/** What may differ from one node to the next: its bus, store, local cache or logger. */
export type WarpNodeParts = Pick<WarpOptions, 'bus' | 'store' | 'cache' | 'logger'>;

/** Options of {@link createWarpCluster}: the nodes' count, plus options every node gets. */
export interface WarpClusterOptions extends Omit<WarpOptions, 'bus' | 'nodeId' | 'cache'> {
  /** How many nodes. Default 2. */
  nodes?: number;
  /** The store every node shares. Default: one `MemoryStore`. */
  store?: WarpStore;
  /**
   * Node i's own parts, over the shared options: e.g. `(i) => ({ bus: new RedisBus(...) })` to run
   * the nodes over a real broker, or a store view per node. A node given a `bus` is not on the
   * cluster's `MemoryBus` (its `views[i]` is absent).
   */
  perNode?: (i: number) => WarpNodeParts | Promise<WarpNodeParts>;
  /** Heartbeat of every node, in ms. Default 100 (the engine's: 1000), so clusters form fast. */
  heartbeatInterval?: number;
  /** How long to wait for every node to see every other one. Default 5000 ms. */
  formTimeout?: number;
}

/** N started Warp nodes of one process, on one `MemoryBus` and one store. */
export interface WarpCluster {
  /** The started nodes, `node-0` … `node-{N-1}`; each has its own `MemoryCache` (its L1). */
  readonly nodes: readonly Warp[];
  /** The bus they share; `views[i]` is node i's own view of it (`views[i].disconnect()` cuts node i off). */
  readonly bus: MemoryBus;
  readonly views: readonly MemoryBusNode[];
  /** The store they share (a node's own, from `perNode`, is `nodes[i].store`). */
  readonly store: WarpStore;
  /** The namespace of every node: the `namespace` option, or a fresh one. */
  readonly namespace: string;
  /** Resolves once every message published so far has been delivered to every node. */
  flush(): Promise<void>;
  /** Closes every node (each closes its own bus view). */
  close(): Promise<void>;
}

/**
 * Builds `nodes` Warp engines in this process that share one `MemoryBus` (each through its own
 * view) and one store, starts them, and resolves once each one has seen all the others, so a
 * test of multi-node behaviour (a `set` on one node, a read on another; a node cut off) starts
 * from a formed cluster. Options apply to every node; the namespace defaults to a fresh one, so
 * clusters of concurrent tests never hear each other.
 *
 * @example
 * const cluster = await createWarpCluster({ nodes: 3, keys: [{ key: 'user:*', mode: Mode.StrongDistributed }] });
 * try {
 *   await cluster.nodes[0].set('user:1', { name: 'Ada' });
 *   assert.deepEqual(await cluster.nodes[2].get('user:1'), { name: 'Ada' });
 * } finally {
 *   await cluster.close();
 * }
 * @throws InvalidOptionsError if an option is invalid (nothing is left running).
 * @throws Error `condition not met within <formTimeout>ms` if the nodes do not see each other in
 *   time (every node is closed).
 */
export async function createWarpCluster(options: WarpClusterOptions = {}): Promise<WarpCluster> {
  const { nodes: size = 2, store = new MemoryStore(), formTimeout = 5000, heartbeatInterval = 100, perNode, ...shared } = options;
  const namespace = shared.namespace ?? `test-${randomUUID().slice(0, 8)}`;
  const bus = new MemoryBus();
  const views: MemoryBusNode[] = [];
  const nodes: Warp[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    for (let i = 0; i < size; i++) {
      // Parts left undefined fall back to the shared ones.
      const own = Object.fromEntries(Object.entries((await perNode?.(i)) ?? {}).filter(([, part]) => part !== undefined)) as WarpNodeParts;
      if (own.bus === undefined) views[i] = bus.node();
      nodes.push(new Warp({ ...shared, heartbeatInterval, namespace, store, bus: views[i], ...own, nodeId: `node-${i}` }));
    }
    await Promise.all(nodes.map((node) => node.start()));
    await eventually(() => nodes.every((node) => node.cluster.admitted && node.cluster.livePeers().length === size - 1), formTimeout);
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes, bus, views, store, namespace, flush: () => bus.flush(), close };
}
