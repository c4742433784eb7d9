import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './deferred.js';
import { onProcessDeath } from './process-death.js';

const HOST = '127.0.0.1';

/** A loopback port the kernel hands out right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** SIGKILLs `child` (a crash, not a shutdown) unless it already exited; resolves once it is gone. */
export async function sigkill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Whether something accepts TCP connections on the loopback `port` now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
  });
}

export interface PrivateRedisOptions {
  /**
   * Keep the data across a kill and restart: an append-only file fsynced on every write, in a
   * temporary directory removed at `stop()`. Without it a restart comes back empty.
   */
  durable?: boolean;
}

/**
 * A redis-server private to one test file, on a free port, that the test may kill and restart on
 * the same port. Killed when the test process exits, even without `stop()`.
 */
export class PrivateRedis {
  readonly host = HOST;
  private server?: ChildProcess;
  private dir?: string;
  private forgetCleanup?: () => void;

  constructor(
    readonly port: number,
    private readonly options: PrivateRedisOptions = {},
  ) {}

  /** Starts a server on a free port and waits until it accepts connections. */
  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options);
    await redis.start();
    return redis;
  }

  /** Starts (or restarts) the server on its port; resolves once it accepts connections. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', HOST, '--save', ''];
    if (this.options.durable) {
      this.dir ??= await mkdtemp(join(tmpdir(), 'warp-private-redis-'));
      args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir);
    } else {
      args.push('--appendonly', 'no');
    }
    this.server = spawn('redis-server', args, { stdio: 'ignore' });
    this.forgetCleanup ??= onProcessDeath(() => {
      this.server?.kill('SIGKILL');
      if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    });
    await eventually(() => accepts(this.port), 10_000, 20);
  }

  /** Kills the server (SIGKILL: a crash, not a shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    await sigkill(this.server);
  }

  /** Kills the server and removes its data directory. */
  async stop(): Promise<void> {
    await this.kill();
    this.forgetCleanup?.();
    this.forgetCleanup = undefined;
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
