import { DeadlineExceeded, withTimeout } from '../common/deadline.js';
import { BusError } from '../common/warp.errors.js';

/** How long `close()` waits for a graceful release before dropping the connections. */
const CLOSE_TIMEOUT_MS = 1_000;
import { ChannelRegistry } from './channel-registry.js';
import { ConnectionState } from './connection-state.js';
import type { WarpBus } from './bus.interface.js';

/**
 * What every backend shares: handlers per channel with one wire subscription each, the
 * `connected` flag and its listeners, and an idempotent `close()`. A backend supplies the
 * connection (`connect`, `release`), `publish`, and what a channel's first subscription and last
 * unsubscription do on the wire.
 */
export abstract class BaseSyncBus implements WarpBus {
  protected readonly state = new ConnectionState();
  protected readonly registry = new ChannelRegistry({
    subscribe: (channel) => this.subscribeChannel(channel),
    unsubscribe: (channel) => this.unsubscribeChannel(channel),
  });
  protected closed = false;

  /** @param name how errors name this bus, e.g. `RedisBus`. */
  protected constructor(private readonly name: string) {}

  get connected(): boolean {
    return this.state.connected;
  }

  abstract connect(): Promise<void>;

  abstract publish(channel: string, payload: Uint8Array): Promise<void>;

  /** Subscribes (connecting first if needed); resolves once the subscription is active. @throws BusError once closed. */
  async subscribe(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>> {
    await this.connect();
    this.ensureOpen(`subscribe to "${channel}"`, channel);
    return this.registry.add(channel, handler);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.state.onChange(listener);
  }

  /**
   * Drops every handler and listener, then releases what the bus opened, within 1 s whatever the
   * broker's state: past it the connections are dropped without goodbye. Idempotent.
   * @throws BusError when the release had to be forced (the connections are gone anyway).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.registry.clear();
    this.state.reset();
    try {
      await withTimeout(this.release(), CLOSE_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof DeadlineExceeded)) throw error;
      this.forceRelease();
      throw new BusError(`Closing the ${this.name} did not finish within ${CLOSE_TIMEOUT_MS} ms (broker unreachable?): its connections were dropped`, {
        cause: error,
      });
    }
  }

  /** Drops the connections `release()` could not close in time, without waiting for anything. */
  protected forceRelease(): void {}

  /** Makes the transport deliver `channel`; resolves once the broker confirmed. */
  protected abstract subscribeChannel(channel: string): Promise<void>;

  /** Stops delivery of `channel` on the transport (nothing to do once closed). */
  protected abstract unsubscribeChannel(channel: string): Promise<void>;

  /** Closes the connections the bus opened (never a client the user passed in). */
  protected abstract release(): Promise<void>;

  /** @throws BusError naming the operation when the bus is closed. */
  protected ensureOpen(operation: string, channel?: string): void {
    if (this.closed) throw new BusError(`Cannot ${operation}: this ${this.name} is closed`, { key: channel });
  }

  /** A `BusError` for a publish the transport refused, keeping its error as `cause`. */
  protected publishFailed(channel: string, transport: string, error: unknown): BusError {
    const reason = error instanceof Error ? error.message : String(error);
    return new BusError(`Publishing on "${channel}" over ${transport} failed: ${reason}`, { key: channel, cause: error });
  }
}

/**
 * A connection failure's message naming its cause: the client's own rejection is often generic
 * ("Connection is closed."), the error the socket reported before it (`lastError`) says why.
 */
export function failureText(error: unknown, lastError: Error | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  if (lastError === undefined || lastError === error || lastError.message === message) return message;
  return `${lastError.message} (${message})`;
}
