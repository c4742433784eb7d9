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
  /** A prefix unique to one test, under the run's prefix. */
  freshPrefix(): string;
}

/**
 * Sets up a test file's Redis usage and registers an `after` hook at the file's root that deletes
 * the run's keys and quits every client, so the process exits and other suites sharing the Redis
 * are not disturbed. Creates no connection until a test asks for one (skipped files open none).
 */
export function redisTestRun(name: string): RedisTestRun {
  const prefix = `warp-test:${name}:${randomUUID()}:`;
  const clients: Redis[] = [];
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
    freshPrefix: () => `${prefix}${randomUUID()}:`,
  };
}

/** What a Redis backend is built from in one variant: a client and the backend's options. */
export interface RedisBackendSetup {
  client: Redis;
  prefix: string;
  codec?: Codec;
}

/**
 * The setups every Redis backend's contract runs under: plain, a prefix full of glob characters
 * (SCAN must match it literally), a client with ioredis' own `keyPrefix`, and a binary codec
 * (values must be read as Buffers). Each `make` gives a fresh prefix.
 */
export function redisBackendVariants(run: RedisTestRun): Array<{ label: string; make(): RedisBackendSetup }> {
  return [
    { label: '', make: () => ({ client: run.client(), prefix: run.freshPrefix() }) },
    { label: ' with glob characters in its prefix', make: () => ({ client: run.client(), prefix: `${run.freshPrefix()}[*?]\\:` }) },
    { label: ' on a client with a keyPrefix', make: () => ({ client: run.connect({ keyPrefix: run.freshPrefix() }), prefix: 'backend:' }) },
    { label: ' with a binary codec', make: () => ({ client: run.client(), prefix: run.freshPrefix(), codec: new BinaryTestCodec() }) },
  ];
}
