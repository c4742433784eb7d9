import type { BusMessage } from './bus-protocol.js';

/**
 * What a feature riding on the cluster (leases, watch) may use of it: its own message kinds on the
 * cluster's channel, nothing of membership or the write protocol. `Cluster` implements it.
 */
export interface ClusterChannel {
  /** Registers the handler of an extension message kind (one handler per kind). */
  on(kind: string, handler: (message: BusMessage) => void): void;
  /** Publishes an extension message to every peer; rejects when it cannot be encoded or sent. */
  publish(kind: string, body: unknown): Promise<void>;
}
