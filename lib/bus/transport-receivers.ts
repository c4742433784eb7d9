import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import type { ClientProxy, MqttOptions, Server, ServerMqtt, ServerNats, ServerRedis, Transport } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { endOf } from '../redis/connection-end.js';

// The transport-specific half of `TransportBus`: one Nest server strategy and one receiver per
// transport (Redis, NATS, MQTT), and the client options each needs.

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

export type MicroservicesModule = typeof import('@nestjs/microservices');
// Nest's generics differ per transport (event maps, status unions); the bus only needs the common surface.
export type AnyServer = Pick<Server, 'addHandler' | 'getHandlers' | 'listen' | 'close' | 'status' | 'unwrap'>;
export type AnyClient = Pick<ClientProxy, 'connect' | 'close' | 'emit' | 'status' | 'unwrap'>;

/** What the bus does on the native client under a Nest server strategy. */
export interface Receiver {
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
export interface Unwrappable {
  unwrap<T>(): T;
}

/** Drops a transport's native connections at once (ioredis `disconnect`, MQTT `end(true)`, NATS `close`). */
export function dropConnections(owner: Unwrappable): void {
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


/** The transport's server strategy, receiving events only. */
export function createTransportServer(microservices: MicroservicesModule, transport: Transport, options: Record<string, unknown>): AnyServer {
  const { ServerRedis, ServerNats, ServerMqtt, Transport: T } = microservices;
  switch (transport) {
    case T.REDIS:
      // Channels are literal: wildcards would switch the server to PSUBSCRIBE.
      return eventsOnly(new ServerRedis({ ...REDIS_RECONNECT, ...options, wildcards: false }));
    case T.NATS: {
      const { queue: _queue, ...rest } = options;
      return eventsOnly(new ServerNats({ ...NATS_RECONNECT, ...rest } as never));
    }
    default: {
      // Client and server are two MQTT connections: a shared client id would make the broker
      // drop one each time the other connects.
      const clientId = options.clientId === undefined ? {} : { clientId: `${String(options.clientId)}-warp-sub` };
      return eventsOnly(new ServerMqtt({ ...options, ...clientId } as never));
    }
  }
}

/** Subscribing, confirming and closing on the native client of a listening server. */
export function createReceiver(microservices: MicroservicesModule, transport: Transport, server: AnyServer, options: Record<string, unknown>): Receiver {
  const T = microservices.Transport;
  switch (transport) {
    case T.REDIS:
      return redisReceiver(server as ServerRedis);
    case T.NATS:
      return natsReceiver(server as ServerNats);
    default:
      return mqttReceiver(server as ServerMqtt, options as MqttOptions['options']);
  }
}

/** The `ClientProxy` options: the transport's with Warp's reconnection defaults under them. */
export function transportClientOptions(microservices: MicroservicesModule, transport: Transport, options: Record<string, unknown>): { transport: Transport; options: Record<string, unknown> } {
  const T = microservices.Transport;
  if (transport === T.REDIS) return { transport, options: { ...REDIS_RECONNECT, ...options } };
  if (transport === T.NATS) return { transport, options: { ...NATS_RECONNECT, ...options } };
  return { transport, options };
}
