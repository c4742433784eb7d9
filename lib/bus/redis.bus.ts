import type { Cluster, Redis } from 'ioredis';
import { ioredis, type RedisClient } from '../redis/redis-keyspace.js';
import { endOf } from '../redis/connection-end.js';
import { BusError } from '../common/warp.errors.js';
import { describeRedisEndpoint } from '../redis/redis-endpoint.js';
import { BaseSyncBus, failureText } from './base-sync-bus.js';

/** Options of a {@link RedisBus}. */
export interface RedisBusOptions {
  /**
   * `CLIENT SETNAME` of the subscriber connection the bus opens, so operators can find it in
   * `CLIENT LIST` (and tests can `CLIENT KILL` it). Default `'warp-bus'`.
   */
  connectionName?: string;
}

const DEFAULT_CONNECTION_NAME = 'warp-bus';

function toBuffer(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * A `WarpBus` on Redis pub/sub through ioredis directly: the fast path when Redis is the
 * transport (about 2-4x the throughput of the Nest Redis transport, see `docs/bus.md`).
 *
 * - Publishes on the client you pass (`Redis` or `Cluster`), which it never closes.
 * - Subscribes on `client.duplicate()`, a connection it owns, names (`connectionName`) and closes.
 * - Connection state is the subscriber's: when it drops, `onConnectionChange(false)`; when ioredis
 *   has reconnected, the bus subscribes every channel again and only then reports `true`, so
 *   "connected" always means "receiving".
 *
 * @example
 * const redis = new Redis();
 * WarpModule.forRoot({ bus: new RedisBus(redis) });
 */
export class RedisBus extends BaseSyncBus {
  private readonly client: Redis | Cluster;
  private readonly connectionName: string;
  private subscriber?: Redis | Cluster;
  /** Removes the listeners the bus put on its subscriber (and only those: a `Cluster` listens to its own events). */
  private detach?: () => void;
  private opening?: Promise<void>;
  /** On a Cluster, the master every publish of this bus goes to, so they keep their order. */
  private publishNode?: Redis;
  /** Bumped on every (re)connection, so a resubscription overtaken by a newer one reports nothing. */
  private readyCount = 0;

  /**
   * @param client an ioredis 5 or 6 client you own; the bus publishes on it and duplicates it for
   * its subscriber connection, and never closes it.
   */
  constructor(client: RedisClient, options: RedisBusOptions = {}) {
    super('RedisBus');
    this.client = ioredis(client);
    this.connectionName = options.connectionName ?? DEFAULT_CONNECTION_NAME;
  }

  /** The client this bus publishes on (yours: never closed here); lent to the default locker. */
  get redis(): Redis | Cluster {
    return this.client;
  }

  /**
   * Opens the subscriber connection; resolves once it is ready. Idempotent; a failed attempt may be
   * retried. @throws BusError when the connection fails or the bus is closed.
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new BusError('Cannot connect: this RedisBus is closed'));
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  /** Publishes on the user's client. @throws BusError when Redis refuses or the bus is closed. */
  async publish(channel: string, payload: Uint8Array): Promise<void> {
    this.ensureOpen(`publish on "${channel}"`, channel);
    try {
      await this.publisher().publish(channel, toBuffer(payload));
    } catch (error) {
      throw this.publishFailed(channel, 'Redis', error);
    }
  }

  protected async subscribeChannel(channel: string): Promise<void> {
    await this.subscriber!.subscribe(channel);
  }

  protected async unsubscribeChannel(channel: string): Promise<void> {
    if (!this.closed) await this.subscriber!.unsubscribe(channel);
  }

  /** Closes the subscriber connection the bus opened; the user's client stays open. */
  protected async release(): Promise<void> {
    const subscriber = this.subscriber;
    if (subscriber === undefined) return;
    this.detach?.();
    if (subscriber.status === 'end') return;
    if (subscriber.status === 'reconnecting') {
      // Between attempts there is no socket, and disconnect() (which stops the retries) emits no 'end'.
      subscriber.disconnect();
      return;
    }
    const ended = endOf(subscriber);
    if (subscriber.status === 'ready') {
      await subscriber.quit().catch(() => subscriber.disconnect());
    } else {
      subscriber.disconnect();
    }
    await ended;
  }

  protected override forceRelease(): void {
    this.subscriber?.disconnect();
  }

  private async open(): Promise<void> {
    const subscriber = this.duplicate();
    this.subscriber = subscriber;
    const onMessage = (channel: Buffer, message: Buffer): void => this.registry.dispatch(channel.toString(), message);
    const onClose = (): void => this.state.set(false);
    const onReady = (): void => void this.resubscribe(subscriber);
    // What a failed connect() names as the cause: ioredis rejects it with "Connection is closed."
    // and reports the socket's error (ECONNREFUSED, ENOTFOUND, auth) on 'error' only.
    let lastError: Error | undefined;
    // ioredis reconnects on its own; the state follows 'close' and 'ready'. The error listener
    // stays after release: a closing connection may still report errors.
    subscriber.on('error', (error: Error) => {
      lastError = error;
    });
    subscriber.on('messageBuffer', onMessage);
    subscriber.on('close', onClose);
    subscriber.on('ready', onReady);
    // Never removeAllListeners(): a Cluster moves from 'close' to 'end' through its own listener.
    this.detach = () => {
      subscriber.off('messageBuffer', onMessage);
      subscriber.off('close', onClose);
      subscriber.off('ready', onReady);
    };
    try {
      await subscriber.connect();
    } catch (error) {
      this.detach();
      subscriber.disconnect();
      this.subscriber = undefined;
      throw new BusError(`The RedisBus subscriber connection to ${describeRedisEndpoint(this.client)} failed: ${failureText(error, lastError)}`, {
        cause: lastError ?? error,
      });
    }
    if (this.closed) throw new BusError('The RedisBus was closed while connecting');
    // A Cluster emits 'ready' a tick after connect() resolved: report the state now, so the bus is
    // connected once connect() resolves whichever client it runs on.
    if (this.readyCount === 0) await this.resubscribe(subscriber);
  }

  /**
   * Where to publish. A Cluster sends a keyless command such as `PUBLISH` to a random node, and
   * messages published on different nodes reach subscribers in any order: pin one master (picked at
   * random, to spread publishers) until its connection ends, as it does when the topology drops it.
   */
  private publisher(): Redis | Cluster {
    if (!this.client.isCluster) return this.client;
    const pinned = this.publishNode;
    if (pinned !== undefined && pinned.status !== 'end' && pinned.status !== 'close') return pinned;
    const masters = (this.client as Cluster).nodes('master');
    // Before the Cluster knows its nodes, it queues the command itself.
    if (masters.length === 0) return this.client;
    this.publishNode = masters[Math.floor(Math.random() * masters.length)];
    return this.publishNode;
  }

  private duplicate(): Redis | Cluster {
    const client = this.client;
    if (client.isCluster) {
      const cluster = client as Cluster;
      return cluster.duplicate(undefined, {
        ...cluster.options,
        lazyConnect: true,
        redisOptions: { ...cluster.options.redisOptions, connectionName: this.connectionName },
      });
    }
    // The bus resubscribes itself on 'ready' so that it knows when the subscriptions are back.
    return (client as Redis).duplicate({ lazyConnect: true, autoResubscribe: false, connectionName: this.connectionName });
  }

  private async resubscribe(subscriber: Redis | Cluster): Promise<void> {
    const attempt = ++this.readyCount;
    const channels = this.registry.channels();
    try {
      if (channels.length > 0) await subscriber.subscribe(...channels);
    } catch {
      return; // the connection dropped again; the next 'ready' retries
    }
    if (attempt === this.readyCount && !this.closed) this.state.set(true);
  }
}
