import { after, before } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { PrivateRedis } from './private-redis.js';
import { WarpFactory } from './warp-factory.js';

/** What a Redis-outage suite shares: its private redis-server, the clients and engines it closes, the unhandled rejections it saw. */
export interface RedisOutageRun {
  /** The suite's private redis-server (started in `before`), which the test kills and restarts. */
  redis(): PrivateRedis;
  /** An ioredis client on it (with an error listener, as an application has), disconnected after the suite. */
  client(options?: RedisOptions): Redis;
  readonly factory: WarpFactory;
  /** Every unhandled rejection while the suite ran: a test asserts it stayed empty. */
  readonly unhandled: unknown[];
}

/** Registers the suite's hooks (call inside `describe`): a private redis-server, and everything closed after. */
export function redisOutageRun(): RedisOutageRun {
  let redis: PrivateRedis | undefined;
  const clients: Redis[] = [];
  const factory = new WarpFactory();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(async () => {
    redis = await PrivateRedis.start();
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    await factory.closeAll();
    for (const client of clients) client.disconnect();
    await redis?.stop();
    process.off('unhandledRejection', onUnhandled);
  });
  return {
    redis: () => redis!,
    client: (options = {}) => {
      const client = new Redis({ host: redis!.host, port: redis!.port, ...options });
      client.on('error', () => undefined); // the application's handler; Warp reports the outage itself
      clients.push(client);
      return client;
    },
    factory,
    unhandled,
  };
}
