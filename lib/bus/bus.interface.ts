/**
 * The transport under Warp's cluster protocol: fire-and-forget pub/sub of byte payloads on named
 * channels. Warp's protocol (versioning, namespace, origin, sequence, HMAC, acks) lives above it
 * in `cluster/bus-protocol.ts`, so a backend only moves bytes. Implementations: `MemoryBus`
 * (in-process; one instance shared by several modules makes a cluster) and `TransportBus`
 * (Nest microservice transports: Redis, NATS, MQTT). Every backend passes
 * `busContract` of `nestjs-warp/testing`; run it against your own bus.
 */
export interface WarpBus {
  /** Opens connections; resolves when subscriptions can be made. Idempotent. */
  connect(): Promise<void>;
  /** Publishes one payload. Delivery is at-most-once; order is kept per publisher and channel. */
  publish(channel: string, payload: Uint8Array): Promise<void>;
  /**
   * Subscribes to a channel; resolves once the subscription is active. Returns the function that
   * removes it. A publisher receives its own messages too (Warp filters them by origin).
   */
  subscribe(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>>;
  /** Whether the transport is currently connected. */
  readonly connected: boolean;
  /**
   * Registers a listener for connection changes (`false` on disconnect, `true` on reconnect);
   * returns its remover. Warp clears L1 for distributed keys on a reconnect.
   */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /** Closes every connection the bus opened. */
  close(): Promise<void>;
  /**
   * Optional: how many processes' subscriptions (this one's included) listen to `channel` right
   * now, when the bus can know it exactly (`MemoryBus`). A node alone on its channel is admitted
   * at once instead of after a lease of listening for peers it does not know.
   */
  listenerCount?(channel: string): number;
}

/** DI token for the bus; `@Inject(WarpBus)` or `@InjectWarpBus()`. */
export const WarpBus = Symbol('WarpBus');
