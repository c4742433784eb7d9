import { fileURLToPath } from 'node:url';
import { setTimeout as pause } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisStore } from '../../../lib/store/redis.store.js';
import { awaitMembership, NodeProcess } from '../node-process.js';
import type { PrivateRedis } from '../private-redis.js';

const SCRIPT = fileURLToPath(new URL('../../e2e/fixtures/history-node.js', import.meta.url));

export interface HistoryClusterOptions {
  /** The redis-server the test started for itself: the cluster's store, cache tier, bus and locks. */
  redis: PrivateRedis;
  namespace: string;
  /** Default 3. */
  size?: number;
  /** ms between heartbeats; a peer silent for 3 of them is gone. Default 200. */
  heartbeatMs?: number;
  /** ms a StrongDistributed write waits for acknowledgements (and for its lock). Default 500. */
  publishTimeoutMs?: number;
  /** Longest lease of any lock, the strong write locks included. Default 1000. */
  lockTtlMs?: number;
}

/**
 * Warp nodes in their own OS processes (test/e2e/fixtures/history-node.ts) on a private
 * redis-server: what the consistency histories run against. A node can be killed and restarted
 * with its nodeId; `whenUp` lets clients wait for it meanwhile.
 */
export class HistoryCluster {
  readonly nodeIds: string[];
  /** A client of the private Redis for the test itself: Store reads, CLIENT KILL. */
  readonly admin: Redis;
  /** The nodes' namespace (their keys and connection names start with it). */
  get namespace(): string {
    return this.options.namespace;
  }
  private readonly store: RedisStore;
  private readonly restarts = new Map<number, Promise<NodeProcess>>();

  private constructor(
    private readonly options: Required<HistoryClusterOptions>,
    private readonly nodes: NodeProcess[],
  ) {
    this.nodeIds = nodes.map((node) => node.name);
    this.admin = new Redis({ host: options.redis.host, port: options.redis.port });
    // The server may be restarted on purpose: ioredis reconnects by itself, commands report their own errors.
    this.admin.on('error', () => undefined);
    this.store = new RedisStore(this.admin, { prefix: `${options.namespace}:store:` });
  }

  static async start(options: HistoryClusterOptions): Promise<HistoryCluster> {
    const resolved: Required<HistoryClusterOptions> = { size: 3, heartbeatMs: 200, publishTimeoutMs: 500, lockTtlMs: 1000, ...options };
    const nodes = await Promise.all(Array.from({ length: resolved.size }, (_, i) => HistoryCluster.startNode(resolved, `node-${i}`)));
    await awaitMembership(nodes);
    return new HistoryCluster(resolved, nodes);
  }

  private static startNode(options: Required<HistoryClusterOptions>, nodeId: string): Promise<NodeProcess> {
    return NodeProcess.start(nodeId, SCRIPT, {
      WARP_NODE_ID: nodeId,
      WARP_NAMESPACE: options.namespace,
      WARP_BUS: 'redis',
      REDIS_PORT: String(options.redis.port),
      WARP_HEARTBEAT: String(options.heartbeatMs),
      WARP_PUBLISH_TIMEOUT: String(options.publishTimeoutMs),
      WARP_LOCK_TTL: String(options.lockTtlMs),
    });
  }

  get size(): number {
    return this.nodes.length;
  }

  get lockTtlMs(): number {
    return this.options.lockTtlMs;
  }

  get heartbeatMs(): number {
    return this.options.heartbeatMs;
  }

  /** The current process of node `i` (it may have exited; see `whenUp`). */
  node(i: number): NodeProcess {
    return this.nodes[i];
  }

  /** Node `i` once it is running: now, or when the restart in progress is done. */
  whenUp(i: number): NodeProcess | Promise<NodeProcess> {
    return this.restarts.get(i) ?? this.nodes[i];
  }

  /** Kills node `i` (SIGKILL: no goodbye, locks left held) and starts it again with the same nodeId. */
  restart(i: number): Promise<NodeProcess> {
    const restarting = (async () => {
      const old = this.nodes[i];
      if (old.alive) {
        const exited = new Promise((resolve) => old.child.once('exit', resolve));
        old.signal('SIGKILL');
        await exited;
      }
      const node = await HistoryCluster.startNode(this.options, old.name);
      this.nodes[i] = node;
      return node;
    })();
    this.restarts.set(i, restarting);
    return restarting.finally(() => this.restarts.delete(i));
  }

  /** Waits until every node runs, hears its own heartbeats through the bus and counts all the others live. */
  async awaitHealthy(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nodes = await Promise.all(this.nodes.map((_, i) => this.whenUp(i)));
      const healthy = await Promise.all(
        nodes.map(async (node) => (await node.call<boolean>('connected')) && (await node.call<string[]>('peers')).length === nodes.length - 1),
      ).catch(() => [false]);
      if (healthy.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not heal within ${timeoutMs} ms`);
      await pause(20);
    }
  }

  /** A key's value in the Store, read from Redis directly. */
  storeValue(key: string): Promise<unknown> {
    return this.store.get(key);
  }

  /** Stops every node (thawed first) and closes the admin client; the redis-server is the caller's. */
  async stop(): Promise<void> {
    for (const node of this.nodes) node.signal('SIGCONT');
    await Promise.allSettled([...this.restarts.values()]);
    await Promise.all(this.nodes.map((node) => node.stop()));
    this.admin.disconnect();
  }
}
