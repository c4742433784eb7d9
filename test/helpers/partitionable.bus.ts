import type { WarpBus } from '../../lib/bus/bus.interface.js';
import { BusError } from '../../lib/common/warp.errors.js';

/**
 * Chaos wrapper around a real bus: `cut()` partitions this node (its publishes fail, messages for
 * it are lost, its listeners hear a disconnect) while the transport underneath keeps running for
 * the other nodes; `heal()` ends the partition.
 */
export class PartitionableBus implements WarpBus {
  private partitioned = false;
  private readonly listeners = new Set<(connected: boolean) => void>();

  constructor(readonly inner: WarpBus) {
    inner.onConnectionChange((up) => {
      if (!this.partitioned) for (const listener of this.listeners) listener(up);
    });
  }

  get connected(): boolean {
    return !this.partitioned && this.inner.connected;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  publish(channel: string, payload: Uint8Array): Promise<void> {
    if (this.partitioned) return Promise.reject(new BusError('partitioned by the test'));
    return this.inner.publish(channel, payload);
  }

  subscribe(channel: string, handler: (payload: Uint8Array) => void): Promise<() => Promise<void>> {
    return this.inner.subscribe(channel, (payload) => {
      if (!this.partitioned) handler(payload);
    });
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  cut(): void {
    this.partitioned = true;
    for (const listener of this.listeners) listener(false);
  }

  heal(): void {
    this.partitioned = false;
    for (const listener of this.listeners) listener(true);
  }
}
