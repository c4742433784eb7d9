import { DEFAULT_MAX_MESSAGE_BYTES, type BusMessage } from '../cluster/bus-protocol.js';
import type { ClusterChannel } from '../cluster/cluster-channel.js';
import { assertKey } from '../common/keys.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { InvalidOptionsError, PayloadTooLargeError, SerializationError, WarpClosedError } from '../common/warp.errors.js';
import { WatchSubscription, type WatchEvent, type WatchTarget } from './watch-subscription.js';

/** Cluster message kind of watch-bus publications. */
export const WATCH_MESSAGE_KIND = 'watch';

/** Default per-subscriber buffer, in events. */
export const DEFAULT_WATCH_BUFFER_SIZE = 1024;

/** Length of the signature header a signed message carries (`{"sig":"<64 hex>",`). */
const SIGNATURE_OVERHEAD = 75;

/** Options of a {@link WatchBus}. */
export interface WatchBusOptions {
  /** The cluster protocol's extension message kinds. */
  transport: ClusterChannel;
  nodeId: string;
  namespace: string;
  metrics: WarpMetrics;
  /** Default buffer of each subscription, in events. Default 1024. */
  bufferSize?: number;
  /** The bus protocol's message limit. Default 1 MiB (the protocol's default). */
  maxMessageBytes?: number;
}

/** Options of one `watch` call. */
export interface WatchOptions {
  /** Events buffered for this subscriber before the oldest is dropped. Default: the bus's `bufferSize`. */
  bufferSize?: number;
}

/**
 * Topic pub/sub of raw bytes across the cluster, over the same `WarpBus` as invalidations:
 * `publish(topic, bytes)` reaches subscribers of the exact topic and of every matching prefix on
 * every node, this one included, in publish order per publisher (the bus keeps each publisher's
 * order on the one channel Warp uses). Delivery is at-most-once like the bus: a node cut off from
 * the bus misses what was published meanwhile (a gap in `seq` shows it).
 *
 * Payloads travel base64-encoded in the JSON message body; one publication must fit in one bus
 * message (1 MiB by default, so payloads up to about 750 KiB).
 *
 * @example
 * const sub = warp.watch({ prefix: 'orders.' });
 * await warp.publish('orders.created', new TextEncoder().encode('42'));
 * for await (const { topic, payload } of sub) { ... }
 */
export class WatchBus {
  private readonly exact = new Map<string, Set<WatchSubscription>>();
  private readonly prefixes = new Map<string, Set<WatchSubscription>>();
  private readonly bufferSize: number;
  private readonly maxMessageBytes: number;
  /** Bytes of a watch message besides the topic and the base64 payload, signature included. */
  private readonly envelopeBytes: number;
  private seq = 0;
  private closed = false;

  /** @throws InvalidOptionsError when `bufferSize` is not a positive integer. */
  constructor(private readonly options: WatchBusOptions) {
    this.bufferSize = options.bufferSize ?? DEFAULT_WATCH_BUFFER_SIZE;
    assertBufferSize(this.bufferSize);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const skeleton = {
      v: 1,
      ns: options.namespace,
      from: options.nodeId,
      seq: Number.MAX_SAFE_INTEGER,
      kind: WATCH_MESSAGE_KIND,
      body: { t: '', p: '', s: Number.MAX_SAFE_INTEGER },
    };
    this.envelopeBytes = Buffer.byteLength(JSON.stringify(skeleton)) + SIGNATURE_OVERHEAD;
    options.transport.on(WATCH_MESSAGE_KIND, (message) => this.receive(message));
  }

  /**
   * Publishes `payload` on `topic` to every subscriber in the cluster. Local subscribers get it
   * before this resolves; peers once the bus delivers it.
   * @throws InvalidKeyError when the topic is not a valid key; SerializationError when the payload
   *   is not a Uint8Array; PayloadTooLargeError when it does not fit in one bus message;
   *   WarpClosedError after `close()`.
   */
  async publish(topic: string, payload: Uint8Array): Promise<void> {
    assertKey(topic, 'topic');
    if (!(payload instanceof Uint8Array)) {
      throw new SerializationError(`Cannot publish on "${topic}": the payload must be a Uint8Array (or Buffer)`, { key: topic });
    }
    if (this.closed) throw new WarpClosedError(`Cannot publish on "${topic}": Warp is closed`, { key: topic });
    const base64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
    const size = this.envelopeBytes + Buffer.byteLength(JSON.stringify(topic)) + base64.length;
    if (size > this.maxMessageBytes) {
      const room = Math.floor(((this.maxMessageBytes - size + base64.length) / 4) * 3);
      throw new PayloadTooLargeError(
        `Cannot publish ${payload.byteLength} bytes on "${topic}": one publication must fit in a ${this.maxMessageBytes}-byte bus message ` +
          `(at most ${Math.max(room, 0)} payload bytes on this topic); split it or send a reference to data in your store`,
        { key: topic },
      );
    }
    const seq = this.seq++;
    this.deliver(topic, () => new Uint8Array(payload), this.options.nodeId, seq);
    await this.options.transport.publish(WATCH_MESSAGE_KIND, { t: topic, p: base64, s: seq });
  }

  /**
   * Subscribes to one topic, or to every topic starting with `{ prefix }`, on every node.
   * @throws InvalidKeyError when the topic or prefix is not a valid key; InvalidOptionsError for a
   *   bad `bufferSize`; WarpClosedError after `close()`.
   */
  watch(target: WatchTarget, options: WatchOptions = {}): WatchSubscription {
    const isPrefix = typeof target === 'object' && target !== null;
    const name = isPrefix ? target.prefix : target;
    assertKey(name, isPrefix ? 'watch prefix' : 'topic');
    const bufferSize = options.bufferSize ?? this.bufferSize;
    assertBufferSize(bufferSize);
    if (this.closed) throw new WarpClosedError(`Cannot watch "${name}": Warp is closed`, { key: name });
    const index = isPrefix ? this.prefixes : this.exact;
    const subscription = new WatchSubscription(isPrefix ? { prefix: name } : name, bufferSize, (ended) => {
      const set = index.get(name);
      set?.delete(ended);
      if (set?.size === 0) index.delete(name);
    });
    let set = index.get(name);
    if (set === undefined) index.set(name, (set = new Set()));
    set.add(subscription);
    return subscription;
  }

  /** Subscriptions currently open on this node. */
  get subscriptions(): number {
    let count = 0;
    for (const set of this.exact.values()) count += set.size;
    for (const set of this.prefixes.values()) count += set.size;
    return count;
  }

  /** Ends every subscription (consumers still drain what was buffered) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const index of [this.exact, this.prefixes]) {
      for (const set of [...index.values()]) for (const subscription of [...set]) subscription.end(false);
    }
  }

  private receive(message: BusMessage): void {
    const body = message.body as { t?: unknown; p?: unknown; s?: unknown } | null;
    if (body === null || typeof body !== 'object' || typeof body.t !== 'string' || typeof body.p !== 'string' || !Number.isSafeInteger(body.s)) {
      return this.options.metrics.busDropped('malformed');
    }
    const { t: topic, p: base64 } = body;
    try {
      assertKey(topic, 'topic');
    } catch {
      return this.options.metrics.busDropped('malformed');
    }
    let bytes: Uint8Array | undefined;
    // Decoded once and shared by the local subscribers.
    this.deliver(topic, () => (bytes ??= toPlainBytes(Buffer.from(base64, 'base64'))), message.from, body.s as number);
  }

  private deliver(topic: string, payload: () => Uint8Array, origin: string, seq: number): void {
    let event: WatchEvent | undefined;
    const exact = this.exact.get(topic);
    if (exact !== undefined) {
      event = { topic, payload: payload(), origin, seq };
      for (const subscription of exact) subscription.push(event);
    }
    for (const [prefix, set] of this.prefixes) {
      if (!topic.startsWith(prefix)) continue;
      event ??= { topic, payload: payload(), origin, seq };
      for (const subscription of set) subscription.push(event);
    }
  }
}

/** A Uint8Array view of a Buffer's bytes, so subscribers get the plain type they were promised. */
function toPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function assertBufferSize(value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new InvalidOptionsError(`Invalid watch option "bufferSize": expected a positive integer, got ${String(value)}`);
  }
}
