import type { ClientProxy, MessageHandler, MqttOptions, NatsOptions, RedisOptions, Transport } from '@nestjs/microservices';
import type { Subscription as RxSubscription } from 'rxjs';
import { DeadlineExceeded, withTimeout } from '../common/deadline.js';
import { BusError, InvalidOptionsError } from '../common/warp.errors.js';
import { BaseSyncBus, failureText } from './base-sync-bus.js';
import { describeTransportEndpoint, SUPPORTED_TRANSPORTS } from './transport-bus-options.js';
import {
  createReceiver,
  createTransportServer,
  dropConnections,
  transportClientOptions,
  type AnyClient,
  type AnyServer,
  type Receiver,
  type Unwrappable,
} from './transport-receivers.js';

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

/**
 * How long `connect()` waits for the transport: an MQTT client aimed at an unreachable broker
 * retries forever without reporting an error, so start-up would otherwise never end.
 */
const CONNECT_TIMEOUT_MS = 5_000;

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

  private get transportSettings(): Record<string, unknown> {
    return (this.options.options ?? {}) as Record<string, unknown>;
  }

  private async open(): Promise<void> {
    const microservices = await import('@nestjs/microservices');
    const server = createTransportServer(microservices, this.options.transport as Transport, this.transportSettings);
    this.server = server;
    this.lastError = undefined;
    // Redis reports (type, error), MQTT and NATS (error): keep whichever argument is the error.
    (server as unknown as { on(event: string, callback: (...args: unknown[]) => void): void }).on('error', (...args) => {
      this.lastError = (args.find((arg) => arg instanceof Error) as Error | undefined) ?? this.lastError;
    });
    await new Promise<void>((resolve, reject) => {
      void server.listen((error?: unknown) => (error === undefined || error === null ? resolve() : reject(error)));
    });
    this.receiver = createReceiver(microservices, this.options.transport as Transport, server, this.transportSettings);
    this.throwIfClosed();
    const client = this.options.client ?? (microservices.ClientProxyFactory.create(transportClientOptions(microservices, this.options.transport as Transport, this.transportSettings) as never) as unknown as AnyClient);
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
