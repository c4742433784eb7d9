import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import type { Codec } from '../../lib/codec/codec.interface.js';
import { BinaryTestCodec } from './binary.codec.js';
import { deleteKeysWithPrefix } from './redis-cleanup.js';
import { SERVICES } from './services.js';

/** The Redis side of one test file: a unique key prefix, clients that are closed and keys that are deleted after the file. */
export interface RedisTestRun {
  /** `warp-test:<name>:<uuid>:`: every key the file creates starts with it. */
  readonly prefix: string;
  /** A shared client, connected on first use. */
  client(): Redis;
  /** A new client with its own options (e.g. `keyPrefix`); closed after the file. */
  connect(options?: RedisOptions): Redis;
  /** Closes `client` (of any ioredis major, e.g. the `ioredis5` alias) after the file, with the others. */
  track<C extends TestClient>(client: C): C;
  /** A prefix unique to one test, under the run's prefix. */
  freshPrefix(): string;
}

/** What the run needs of a client it closes: ioredis 5 and 6 both have it. */
export interface TestClient {
  readonly status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Sets up a test file's Redis usage and registers an `after` hook at the file's root that deletes
 * the run's keys and quits every client, so the process exits and other suites sharing the Redis
 * are not disturbed. Creates no connection until a test asks for one (skipped files open none).
 */
export function redisTestRun(name: string): RedisTestRun {
  const prefix = `warp-test:${name}:${randomUUID()}:`;
  const clients: TestClient[] = [];
  let shared: Redis | undefined;
  const connect = (options: RedisOptions = {}): Redis => {
    const client = new Redis({ ...SERVICES.redis, ...options });
    clients.push(client);
    return client;
  };
  after(async () => {
    if (clients.length === 0) return;
    await deleteKeysWithPrefix(shared ?? connect(), prefix);
    // A client that never connected (lazyConnect, a test of failures) has nothing to QUIT.
    await Promise.all(clients.map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())));
  });
  return {
    prefix,
    client: () => (shared ??= connect()),
    connect,
    track: (client) => {
      clients.push(client);
      return client;
    },
    freshPrefix: () => `${prefix}${randomUUID()}:`,
  };
}

/** What a Redis backend is built from in one variant: a client and the backend's options. */
export interface RedisBackendSetup<C = Redis> {
  client: C;
  prefix: string;
  codec?: Codec;
}

/**
 * The setups every Redis backend's contract runs under: plain, a prefix full of glob characters
 * (SCAN must match it literally), a client with ioredis' own `keyPrefix`, and a binary codec
 * (values must be read as Buffers). Each `make` gives a fresh prefix. The clients are the run's
 * (ioredis 6), or made by `connect` (e.g. ioredis 5 clients, which it must `track`).
 */
export function redisBackendVariants(run: RedisTestRun): Array<{ label: string; make(): RedisBackendSetup }>;
export function redisBackendVariants<C>(run: RedisTestRun, connect: (options?: { keyPrefix?: string }) => C): Array<{ label: string; make(): RedisBackendSetup<C> }>;
export function redisBackendVariants(
  run: RedisTestRun,
  connect: (options?: { keyPrefix?: string }) => unknown = (options) => (options === undefined ? run.client() : run.connect(options)),
): Array<{ label: string; make(): RedisBackendSetup<unknown> }> {
  let shared: unknown;
  const client = () => (shared ??= connect());
  return [
    { label: '', make: () => ({ client: client(), prefix: run.freshPrefix() }) },
    { label: ' with glob characters in its prefix', make: () => ({ client: client(), prefix: `${run.freshPrefix()}[*?]\\:` }) },
    { label: ' on a client with a keyPrefix', make: () => ({ client: connect({ keyPrefix: run.freshPrefix() }), prefix: 'backend:' }) },
    { label: ' with a binary codec', make: () => ({ client: client(), prefix: run.freshPrefix(), codec: new BinaryTestCodec() }) },
  ];
}
