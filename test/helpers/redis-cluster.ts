import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { skipUnlessOnPath } from './services.js';

const run = promisify(execFile);

/** One node of a test Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/** A private Redis Cluster started for one test file. */
export interface RedisClusterHandle {
  /** The masters, as `new Cluster(nodes)` takes them. */
  readonly nodes: RedisClusterNode[];
  /** Kills every server and removes their directory. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Redis Cluster's bus listens on the client port + 10000, which must be a valid, free port too. */
const BUS_PORT_OFFSET = 10_000;
const MAX_PORT = 65_535;
/** How long a node may take to accept connections, or the cluster to reach `cluster_state:ok`. */
const STARTUP_TIMEOUT_MS = 20_000;


/**
 * Resolves to `false` when `redis-server` and `redis-cli` are on PATH, else to a skip reason
 * (printed in a banner). With `CI=true` it throws instead, so CI fails rather than skipping.
 */
export function skipUnlessRedisCluster(): Promise<string | false> {
  return skipUnlessOnPath(['redis-server', 'redis-cli'], 'a Redis Cluster');
}

/** Resolves whether `port` can be bound on the loopback right now. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, HOST);
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/** A port the kernel hands out (bind to 0) whose cluster bus port is free as well. */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const server = createServer();
    server.listen(0, HOST);
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    server.close();
    await once(server, 'close');
    if (taken.has(port) || port + BUS_PORT_OFFSET > MAX_PORT) continue;
    if (await isFree(port + BUS_PORT_OFFSET)) return port;
  }
  throw new Error('found no free port whose cluster bus port (+10000) is free too');
}

function cli(port: number, ...args: string[]): Promise<string> {
  return run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: STARTUP_TIMEOUT_MS }).then(({ stdout }) => stdout);
}

/** Polls `probe` until it resolves `true` or the startup timeout passes. */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster: timed out waiting until ${what}`);
    await sleep(50);
  }
}

/**
 * Starts a private Redis Cluster of `masters` masters (no replicas) on free loopback ports, in a
 * temporary directory, with no persistence. Resolves once every node reports `cluster_state:ok`.
 * Call `stop()` in the file's `after` hook (the servers are also killed, and their directory
 * removed, when the process exits or gets SIGINT/SIGTERM first).
 *
 * @example
 * const redisCluster = await startRedisCluster();
 * after(() => redisCluster.stop());
 * const client = new Cluster(redisCluster.nodes);
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'warp-redis-cluster-'));
  const servers: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  // A test process that ends without running `stop()` (a crash, a runner's timeout, Ctrl-C) takes
  // its servers along; a signal is then re-raised so the process still dies of it.
  const killAll = (): void => {
    for (const server of servers) if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killAll();
    detach();
    process.kill(process.pid, signal);
  };
  const detach = (): void => {
    process.off('exit', killAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('exit', killAll);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      detach();
      await Promise.all(
        servers.map(async (server) => {
          if (server.exitCode !== null || server.signalCode !== null) return;
          const exited = once(server, 'exit');
          server.kill('SIGKILL');
          await exited;
        }),
      );
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    const ports = new Set<number>();
    for (let i = 0; i < masters; i++) ports.add(await freePortPair(ports));
    for (const port of ports) {
      const server = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--save', '',
          '--appendonly', 'no',
          '--dir', dir,
          '--bind', HOST,
          '--protected-mode', 'no',
        ],
        { stdio: 'ignore' },
      );
      servers.push(server);
    }
    for (const port of ports) await until(`node ${port} answers PING`, async () => (await cli(port, 'PING')).trim() === 'PONG');
    await run(
      'redis-cli',
      ['--cluster', 'create', ...[...ports].map((port) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: STARTUP_TIMEOUT_MS },
    );
    for (const port of ports) {
      await until(`node ${port} reports cluster_state:ok`, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
    return { nodes: [...ports].map((port) => ({ host: HOST, port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
