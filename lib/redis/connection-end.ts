import type { EventEmitter } from 'node:events';

/**
 * Resolves when `connection` emits `'end'`. Not `events.once`: that rejects on the `'error'` a
 * connection emits while closing (ECONNREFUSED from a last reconnection attempt), which would be
 * an unhandled rejection until the caller gets to await it.
 */
export function endOf(connection: EventEmitter): Promise<void> {
  return new Promise((resolve) => connection.once('end', () => resolve()));
}
