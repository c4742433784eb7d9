import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import type {
  ClientProxy,
  MessageHandler,
  MqttOptions,
  NatsOptions,
  RedisOptions,
  Server,
  ServerMqtt,
  ServerNats,
  ServerRedis,
  Transport,
} from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import type { Subscription as RxSubscription } from 'rxjs';
import { DeadlineExceeded, withTimeout } from '../common/deadline.js';
import { endOf } from '../redis/connection-end.js';
import { BusError, InvalidOptionsError } from '../common/warp.errors.js';
import { BaseSyncBus, failureText } from './base-sync-bus.js';
import { describeTransportEndpoint, SUPPORTED_TRANSPORTS } from './transport-bus-options.js';

type WithTransport<T extends { transport?: unknown; options?: unknown }> = {
  transport: NonNullable<T['transport']>;
  options?: T['options'];
};

/**
 * Options of a {@link TransportBus}: Nest's `ClientOptions` shape for the Redis, NATS and MQTT
 * transports, plus an optional `ClientProxy` to publish through.
 *
 * @example
 * { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } }
 */
export type TransportBusOptions = (WithTransport<RedisOptions> | WithTransport<NatsOptions> | WithTransport<MqttOptions>) & {
  /**
   * Publish through this `ClientProxy` (e.g. one registered with `ClientsModule`) instead of one
   * the bus creates from `options`. The bus connects it but never closes it.
   */
  client?: ClientProxy<any, any>;
};

/**
 * Whether `value` is transport options rather than a `WarpBus` instance: an object with a
 * `transport` field and no `publish` method. The module uses it to turn `bus` options into a bus.
 */
export function isTransportBusOptions(value: unknown): value is TransportBusOptions {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { transport?: unknown; publish?: unknown };
  return candidate.transport !== undefined && typeof candidate.publish !== 'function';
}

interface PacketDeserializer {
  deserialize(value: unknown, options?: Record<string, unknown>): unknown;
}

/**
 * Makes every incoming packet an event: a frame carrying an `id` would make Nest's server
 * publish a reply on `<channel>.reply`, so anyone able to publish on the bus could make every node
 * answer (a reflection). The bus only ever emits events; requests are not ours.
 */
function eventsOnly(server: AnyServer): AnyServer {
  const target = server as unknown as { deserializer: PacketDeserializer };
  const inner = target.deserializer;
  target.deserializer = {
    async deserialize(value, options) {
      const packet = (await inner.deserialize(value, options)) as { pattern?: unknown; data?: unknown };
      return { pattern: packet?.pattern, data: packet?.data };
    },
  };
  return server;
}

/** Nest's Redis transport gives up after the first drop unless told otherwise: a bus must not. */
const REDIS_RECONNECT = { retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 };
/** nats.js stops after 10 attempts by default; -1 keeps trying, as a bus must. */
const NATS_RECONNECT = { maxReconnectAttempts: -1 };
/**
 * How long `connect()` waits for the transport: an MQTT client aimed at an unreachable broker
 * retries forever without reporting an error, so start-up would otherwise never end.
 */
const CONNECT_TIMEOUT_MS = 5_000;

type MicroservicesModule = typeof import('@nestjs/microservices');
// Nest's generics differ per transport (event maps, status unions); the bus only needs the common surface.
type AnyServer = Pick<Server, 'addHandler' | 'getHandlers' | 'listen' | 'close' | 'status' | 'unwrap'>;
type AnyClient = Pick<ClientProxy, 'connect' | 'close' | 'emit' | 'status' | 'unwrap'>;

/** What the bus does on the native client under a Nest server strategy. */
interface Receiver {
  readonly server: AnyServer;
  /** Subscribes on the wire; resolves once the broker confirmed. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** After a reconnect: resolves once these channels are active again. */
  confirm(channels: string[]): Promise<void>;
  /** Closes the server and resolves once its connections are gone. */
  close(): Promise<void>;
}

/** A Nest transport server or client: `unwrap()` gives its native connection(s). */
interface Unwrappable {
  unwrap<T>(): T;
}

/** Drops a transport's native connections at once (ioredis `disconnect`, MQTT `end(true)`, NATS `close`). */
function dropConnections(owner: Unwrappable): void {
  let native: unknown;
  try {
    native = owner.unwrap<unknown>();
  } catch {
    return; // never connected: nothing to drop
  }
  for (const connection of [native].flat() as Array<Record<string, unknown> | undefined>) {
    if (typeof connection?.disconnect === 'function') (connection as { disconnect(): void }).disconnect();
    else if (typeof connection?.end === 'function') (connection as { end(force: boolean): void }).end(true);
    else if (typeof connection?.close === 'function') void (connection as { close(): Promise<void> }).close().catch(() => undefined);
  }
}

function redisReceiver(server: ServerRedis): Receiver {
  const [publisher, subscriber] = server.unwrap<[Redis, Redis]>();
  return {
    server,
    subscribe: async (channel) => {
      await subscriber.subscribe(channel);
    },
    unsubscribe: async (channel) => {
      await subscriber.unsubscribe(channel);
    },
    // ioredis resubscribes on its own, after announcing 'ready': subscribing again (idempotent)
    // is the way to know when it is done.
    confirm: async (channels) => {
      if (channels.length > 0) await subscriber.subscribe(...channels);
    },
    close: async () => {
      const ended = [publisher, subscriber].filter((c) => c.status !== 'end').map(endOf);
      await Promise.resolve(server.close()).catch(() => {
        publisher.disconnect();
        subscriber.disconnect();
      });
      await Promise.all(ended);
    },
  };
}

function natsReceiver(server: ServerNats): Receiver {
  const connection = server.unwrap<NatsConnection>();
  const subscriptions = new Map<string, NatsSubscription>();
  return {
    server,
    subscribe: async (channel) => {
      // Nest's own message handler, so the packet goes through the server's deserializer and
      // event routing exactly as in `bindEvents`, but without a queue group: every node receives.
      const callback = server.getMessageHandler(channel).bind(server) as (error: Error | null, message: unknown) => void;
      subscriptions.set(channel, connection.subscribe(channel, { callback }));
      await connection.flush();
    },
    unsubscribe: async (channel) => {
      subscriptions.get(channel)?.unsubscribe();
      subscriptions.delete(channel);
      await connection.flush();
    },
    // nats.js replays subscriptions on reconnect before anything else: a round trip confirms them.
    confirm: () => connection.flush(),
    close: async () => {
      await server.close();
    },
  };
}

function mqttReceiver(server: ServerMqtt, options: MqttOptions['options']): Receiver {
  const client = server.unwrap<MqttClient>();
  // `nl: false`: a node must hear its own messages (Warp's liveness check relies on the echo).
  const subscribeOptions = { ...options?.subscribeOptions, qos: options?.subscribeOptions?.qos ?? 0, nl: false };
  return {
    server,
    subscribe: async (channel) => {
      await client.subscribeAsync(channel, subscribeOptions);
    },
    unsubscribe: async (channel) => {
      await client.unsubscribeAsync(channel);
    },
    confirm: async (channels) => {
      if (channels.length > 0) await client.subscribeAsync(channels, subscribeOptions);
    },
    close: async () => {
      const ended = client.disconnected ? undefined : new Promise<void>((resolve) => client.once('end', () => resolve()));
      server.close();
      await ended;
    },
  };
}

/**
 * A `WarpBus` over a Nest microservice transport (Redis, NATS or MQTT), both ways: it publishes
 * with `ClientProxy.emit(channel, base64)` and receives through the transport's server strategy
 * (`ServerRedis`, `ServerNats`, `ServerMqtt`) with event handlers, so broker settings, TLS and
 * authentication are the ones you already give Nest.
 *
 * - **Broadcast, never load-balanced**: no NATS queue group, no MQTT shared subscription; every
 *   node receives every message. MQTT subscriptions use `nl: false` so a node hears its own
 *   messages.
 * - **Channels subscribed after connect** are added on the server's native client (`unwrap()`)
 *   and routed through the server's own message handler.
 * - **Connection state** follows the server's and the client's `status` observables; after a
 *   reconnect the bus confirms its subscriptions with the broker before reporting `true`.
 * - **Reconnection defaults**: unless the options say otherwise, the Redis transport retries
 *   forever every second (Nest's default is not to reconnect at all) and NATS retries forever.
 * - `@nestjs/microservices` and the transport's client library are loaded on `connect()`, so
 *   importing Warp never requires them.
 *
 * The Nest Redis transport opens its own publisher and subscriber connections for the server and
 * for the client (four in all); `RedisBus` is the lighter, faster choice when Redis is the
 * transport. See `docs/bus.md`.
 *
 * @example
 * WarpModule.forRoot({ bus: { transport: Transport.NATS, options: { servers: ['nats://nats:4222'] } } })
 * // or, outside Nest's DI:
 * const bus = new TransportBus({ transport: Transport.MQTT, options: { url: 'mqtt://broker:1883' } });
 */
export class TransportBus extends BaseSyncBus {
  private readonly statusSubscriptions: RxSubscription[] = [];
  private receiver?: Receiver;
  private server?: AnyServer;
  private client?: AnyClient;
  private opening?: Promise<void>;
  private serverUp = false;
  private clientUp = false;
  /** Bumped on every server status change, so a confirmation overtaken by a newer status reports nothing. */
  private serverStatusCount = 0;
  /** The last error the server's connection reported: what a failed connect names as its cause. */
  private lastError?: Error;

  /** The transport options this bus was built from (the default locker reads a Redis transport's). */
  get transportOptions(): TransportBusOptions {
    return this.options;
  }

  /**
   * @param options Nest microservice client options of a Redis, NATS or MQTT transport; the bus
   *   opens (and closes) its own connections from them.
   * @throws InvalidOptionsError when `transport` is not Redis, NATS or MQTT.
   */
  constructor(private readonly options: TransportBusOptions) {
    super('TransportBus');
    if (!isTransportBusOptions(options) || !(Number(options.transport) in SUPPORTED_TRANSPORTS)) {
      throw new InvalidOptionsError(
        `Invalid bus transport ${String((options as { transport?: unknown } | undefined)?.transport)}: ` +
          'expected Transport.REDIS, Transport.NATS or Transport.MQTT',
      );
    }
  }

  /**
   * Starts the server strategy and connects the client; resolves once both are connected.
   * Idempotent; a failed attempt may be retried.
   * @throws BusError when the transport cannot connect or the bus is closed.
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new BusError('Cannot connect: this TransportBus is closed'));
    this.opening ??= withTimeout(this.open(), CONNECT_TIMEOUT_MS).catch(async (error: unknown) => {
      this.opening = undefined;
      await this.release();
      if (error instanceof BusError) throw error;
      const endpoint = describeTransportEndpoint(this.options.transport, this.options.options);
      const why = error instanceof DeadlineExceeded ? `no connection within ${CONNECT_TIMEOUT_MS} ms${this.lastError ? ` (${this.lastError.message})` : ''}` : failureText(error, this.lastError);
      throw new BusError(`The ${this.transportName} bus transport failed to connect to ${endpoint}: ${why}`, {
        cause: this.lastError ?? error,
      });
    });
    return this.opening;
  }

  /**
   * Emits the payload (base64) as an event on the channel, connecting first if needed.
   * @throws BusError when the transport refuses it or the bus is closed.
   */
  async publish(channel: string, payload: Uint8Array): Promise<void> {
    await this.connect();
    this.ensureOpen(`publish on "${channel}"`, channel);
    const client = this.client!;
    const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
    try {
      await new Promise<void>((resolve, reject) => {
        client.emit(channel, data).subscribe({ error: reject, complete: resolve });
      });
    } catch (error) {
      throw this.publishFailed(channel, this.transportName, error);
    }
  }

  protected async subscribeChannel(channel: string): Promise<void> {
    const receiver = this.receiver!;
    const handler = async (data: unknown) => this.receive(channel, data);
    receiver.server.addHandler(channel, handler as MessageHandler, true);
    try {
      await receiver.subscribe(channel);
    } catch (error) {
      receiver.server.getHandlers().delete(channel);
      throw new BusError(`Subscribing to "${channel}" failed: ${(error as Error).message}`, { key: channel, cause: error });
    }
  }

  protected async unsubscribeChannel(channel: string): Promise<void> {
    const receiver = this.receiver;
    if (this.closed || receiver === undefined) return;
    await receiver.unsubscribe(channel);
    receiver.server.getHandlers().delete(channel);
  }

  /** What `release()` is closing: dropped without goodbye if it takes too long. */
  private releasing: Array<Unwrappable | undefined> = [];

  protected override forceRelease(): void {
    for (const connection of this.releasing.splice(0)) if (connection !== undefined) dropConnections(connection);
  }

  private get transportName(): string {
    return SUPPORTED_TRANSPORTS[Number(this.options.transport)]!;
  }

  private async open(): Promise<void> {
    const microservices = await import('@nestjs/microservices');
    const server = this.createServer(microservices);
    this.server = server;
    this.lastError = undefined;
    // Redis reports (type, error), MQTT and NATS (error): keep whichever argument is the error.
    (server as unknown as { on(event: string, callback: (...args: unknown[]) => void): void }).on('error', (...args) => {
      this.lastError = (args.find((arg) => arg instanceof Error) as Error | undefined) ?? this.lastError;
    });
    await new Promise<void>((resolve, reject) => {
      void server.listen((error?: unknown) => (error === undefined || error === null ? resolve() : reject(error)));
    });
    this.receiver = this.createReceiver(microservices, server);
    this.throwIfClosed();
    const client = this.options.client ?? (microservices.ClientProxyFactory.create(this.clientOptions(microservices) as never) as unknown as AnyClient);
    this.client = client;
    await client.connect();
    this.throwIfClosed();
    this.serverUp = this.clientUp = true;
    this.state.set(true);
    this.statusSubscriptions.push(
      server.status.subscribe((status) => this.onServerStatus(String(status))),
      client.status.subscribe((status) => {
        this.clientUp = String(status) === 'connected';
        this.update();
      }),
    );
  }

  private createServer(microservices: MicroservicesModule): AnyServer {
    return eventsOnly(this.createTransportServer(microservices));
  }

  private createTransportServer(microservices: MicroservicesModule): AnyServer {
    const { ServerRedis, ServerNats, ServerMqtt, Transport: T } = microservices;
    const options = (this.options.options ?? {}) as Record<string, unknown>;
    switch (this.options.transport as Transport) {
      case T.REDIS:
        // Channels are literal: wildcards would switch the server to PSUBSCRIBE.
        return new ServerRedis({ ...REDIS_RECONNECT, ...options, wildcards: false });
      case T.NATS: {
        const { queue: _queue, ...rest } = options;
        return new ServerNats({ ...NATS_RECONNECT, ...rest } as never);
      }
      default: {
        // Client and server are two MQTT connections: a shared client id would make the broker
        // drop one each time the other connects.
        const clientId = options.clientId === undefined ? {} : { clientId: `${String(options.clientId)}-warp-sub` };
        return new ServerMqtt({ ...options, ...clientId } as never);
      }
    }
  }

  private createReceiver(microservices: MicroservicesModule, server: AnyServer): Receiver {
    const T = microservices.Transport;
    switch (this.options.transport as Transport) {
      case T.REDIS:
        return redisReceiver(server as ServerRedis);
      case T.NATS:
        return natsReceiver(server as ServerNats);
      default:
        return mqttReceiver(server as ServerMqtt, this.options.options as MqttOptions['options']);
    }
  }

  private clientOptions(microservices: MicroservicesModule): { transport: Transport; options: Record<string, unknown> } {
    const T = microservices.Transport;
    const transport = this.options.transport as Transport;
    const options = (this.options.options ?? {}) as Record<string, unknown>;
    if (transport === T.REDIS) return { transport, options: { ...REDIS_RECONNECT, ...options } };
    if (transport === T.NATS) return { transport, options: { ...NATS_RECONNECT, ...options } };
    return { transport, options };
  }

  private receive(channel: string, data: unknown): void {
    // Anything but our base64 string was published by someone else on this channel: not ours to decode.
    if (typeof data === 'string') this.registry.dispatch(channel, Buffer.from(data, 'base64'));
  }

  private onServerStatus(status: string): void {
    const count = ++this.serverStatusCount;
    if (status !== 'connected') {
      this.serverUp = false;
      this.update();
      return;
    }
    const receiver = this.receiver;
    if (receiver === undefined) return;
    receiver.confirm(this.registry.channels()).then(
      () => {
        if (count !== this.serverStatusCount || this.closed) return;
        this.serverUp = true;
        this.update();
      },
      () => undefined, // dropped again meanwhile; the next status change decides
    );
  }

  private update(): void {
    if (!this.closed) this.state.set(this.serverUp && this.clientUp);
  }

  private throwIfClosed(): void {
    if (this.closed) throw new BusError('The TransportBus was closed while connecting');
  }

  /**
   * Closes the server strategy and the client the bus created (never a `client` you passed); safe
   * at any stage of `open()`.
   */
  protected async release(): Promise<void> {
    for (const subscription of this.statusSubscriptions.splice(0)) subscription.unsubscribe();
    const { receiver, server, client } = this;
    this.receiver = this.server = this.client = undefined;
    const ownsClient = client !== undefined && client !== this.options.client;
    this.releasing = [server, ownsClient ? client : undefined];
    await Promise.allSettled([
      receiver !== undefined ? receiver.close() : server?.close(),
      ownsClient ? client.close() : undefined,
    ]);
  }
}
