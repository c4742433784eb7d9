import type { Redis } from 'ioredis';

/**
 * Deletes every key starting with `prefix` by `SCAN` (never `KEYS`: other suites share this
 * Redis). The prefix must hold no glob characters; tests use `<name>:<uuid>:`.
 */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<void> {
  for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await client.unlink(...keys);
  }
}
