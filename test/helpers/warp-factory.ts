import { randomUUID } from 'node:crypto';
import type { MemoryBus } from '../../lib/bus/memory.bus.js';
import type { WarpBus } from '../../lib/bus/bus.interface.js';
import { MemoryCache } from '../../lib/cache/memory.cache.js';
import { Warp } from '../../lib/engine/warp.js';
import type { WarpOptions } from '../../lib/interfaces/warp-options.interface.js';
import type { WarpLogger } from '../../lib/interfaces/warp-logger.interface.js';
import type { WarpStore } from '../../lib/store/store.interface.js';
import { createWarpCluster } from '../../lib/testing/warp-cluster.js';

/** A logger that records instead of printing, so tests can assert on warnings. */
export class RecordingLogger implements WarpLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}

/** A namespace no other test (in this process or a parallel one) uses: `t` + 8 hex digits. */
export function freshNamespace(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

/** What `startCluster` builds each node from. */
export interface ClusterOptions extends Omit<WarpOptions, 'bus' | 'cache' | 'store' | 'nodeId'> {
  /** Node i's bus. Default: a node of the cluster's own `MemoryBus`. */
  bus?: (i: number) => WarpBus | Promise<WarpBus>;
  /** The store: one shared by every node, or node i's own (a view of a shared one). Default: one `MemoryStore`. */
  store?: WarpStore | ((i: number) => WarpStore);
  /** How long the nodes may take to know each other. Default 5 s. */
  membershipTimeoutMs?: number;
}

/** One started node: its engine, and the bus, local cache and store it was built with. */
export interface ClusterNode {
  warp: Warp;
  bus: WarpBus;
  cache: MemoryCache;
  store: WarpStore;
}

/** Nodes `node-0`... sharing a namespace, each knowing every other one. */
export interface StartedCluster {
  nodes: ClusterNode[];
  /** The engines of `nodes`, in order. */
  warps: Warp[];
  namespace: string;
  /** The bus the nodes share unless `bus` was given. */
  memoryBus: MemoryBus;
}

/** Builds and starts engines, and closes every one of them in `closeAll()`. */
export class WarpFactory {
  private readonly created: Warp[] = [];

  async start(options: WarpOptions = {}): Promise<Warp> {
    const warp = this.create(options);
    await warp.start();
    return warp;
  }

  /** Builds an engine without starting it. */
  create(options: WarpOptions = {}): Warp {
    const warp = new Warp({ logger: new RecordingLogger(), ...options });
    this.created.push(warp);
    return warp;
  }

  /**
   * Starts `size` nodes (`node-0`, `node-1`, ...), each with its own `MemoryCache`, in a fresh
   * namespace unless one is given, and resolves once every node counts every other one live and
   * is admitted: a test starts from a settled membership.
   */
  async startCluster(size: number, options: ClusterOptions = {}): Promise<StartedCluster> {
    const { bus, store, membershipTimeoutMs = 5000, ...rest } = options;
    const cluster = await createWarpCluster({
      ...rest,
      nodes: size,
      namespace: rest.namespace ?? freshNamespace(),
      formTimeout: membershipTimeoutMs,
      store: typeof store === 'function' ? undefined : store,
      perNode: async (i) => ({ cache: new MemoryCache(), logger: new RecordingLogger(), store: typeof store === 'function' ? store(i) : undefined, bus: await bus?.(i) }),
    });
    this.created.push(...cluster.nodes);
    const nodes = cluster.nodes.map((warp) => ({ warp, bus: warp.bus, cache: warp.cache as MemoryCache, store: warp.store }));
    return { nodes, warps: [...cluster.nodes], namespace: cluster.namespace, memoryBus: cluster.bus };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.created.splice(0).map((warp) => warp.close()));
  }
}
