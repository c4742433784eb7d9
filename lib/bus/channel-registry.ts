import { invokeSafely } from './connection-state.js';

/** What a backend does on the wire when a channel gains its first handler or loses its last. */
export interface ChannelTransport {
  /** Starts delivery of `channel`; resolves once the subscription is active. */
  subscribe(channel: string): Promise<void>;
  /** Stops delivery of `channel`. */
  unsubscribe(channel: string): Promise<void>;
}

interface Subscription {
  readonly handler: (payload: Uint8Array) => void;
}

interface ChannelEntry {
  readonly subscriptions: Set<Subscription>;
  ready: Promise<void>;
}

/**
 * The handlers of each channel of one bus connection, with one transport subscription per channel
 * however many handlers share it. Transport operations on a channel run one after the other, so an
 * unsubscribe racing a new subscribe can never leave the channel unsubscribed on the wire.
 */
export class ChannelRegistry {
  private readonly entries = new Map<string, ChannelEntry>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly transport: ChannelTransport) {}

  /**
   * Adds a handler; resolves with its remover once the channel is active on the transport.
   * The remover is idempotent and unsubscribes on the wire when the last handler goes.
   */
  async add(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>> {
    let entry = this.entries.get(channel);
    if (entry === undefined) {
      const created: ChannelEntry = { subscriptions: new Set(), ready: Promise.resolve() };
      created.ready = this.serialize(channel, () => this.transport.subscribe(channel)).catch((error: unknown) => {
        if (this.entries.get(channel) === created) this.entries.delete(channel);
        throw error;
      });
      this.entries.set(channel, created);
      entry = created;
    }
    // Registered before the subscription is confirmed: a message the transport hands over in the
    // same read as the confirmation must not slip past the new handler.
    const subscription: Subscription = { handler };
    entry.subscriptions.add(subscription);
    try {
      await entry.ready;
    } catch (error) {
      entry.subscriptions.delete(subscription);
      throw error;
    }
    const owner = entry;
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      owner.subscriptions.delete(subscription);
      if (owner.subscriptions.size > 0 || this.entries.get(channel) !== owner) return;
      this.entries.delete(channel);
      await this.serialize(channel, () => this.transport.unsubscribe(channel));
    };
  }

  /** Hands a payload to every handler of the channel; a throwing handler does not stop the others. */
  dispatch(channel: string, payload: Uint8Array): void {
    const entry = this.entries.get(channel);
    if (entry === undefined) return;
    for (const subscription of entry.subscriptions) invokeSafely(subscription.handler, payload);
  }

  /** Whether the channel has at least one handler. */
  has(channel: string): boolean {
    return this.entries.has(channel);
  }

  /** Channels with at least one handler: what a reconnected transport must subscribe again. */
  channels(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets every handler (on close; the transport connection goes away with them). */
  clear(): void {
    this.entries.clear();
  }

  private serialize(channel: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(channel) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.catch(() => undefined);
    this.tails.set(channel, tail);
    void tail.then(() => {
      if (this.tails.get(channel) === tail) this.tails.delete(channel);
    });
    return result;
  }
}
