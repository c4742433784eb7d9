import type { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';

/**
 * Resolves when `connection` emits `'end'`. Not `events.once`: that rejects on the `'error'` a
 * connection emits while closing (ECONNREFUSED from a last reconnection attempt), which would be
 * an unhandled rejection until the caller gets to await it.
 */
export function endOf(connection: EventEmitter): Promise<void> {
  return new Promise((resolve) => connection.once('end', () => resolve()));
}

/** How long `close()` waits for the subscriber's socket to close before moving on. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Closes a connection the locker opened and resolves once its sockets are gone (ioredis keeps a
 * timer until then), or after `CLOSE_TIMEOUT_MS` if it never reports the end (a connection stuck
 * reconnecting). `QUIT` when ready, so the server drops the subscription at once.
 */
export function closeConnection(connection: Redis | Cluster): Promise<void> {
  if (connection.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
    timer.unref();
    const close = (): void => {
      // A Cluster reports 'end' once it has dropped its node connections, before their sockets
      // have closed: wait for each of them too.
      const connections = connection.isCluster ? [connection, ...(connection as Cluster).nodes()] : [connection];
      const ended = connections.filter((c) => c.status !== 'end').map((c) => new Promise((end) => c.once('end', end)));
      void Promise.all(ended).then(done);
      if (connection.status === 'ready') connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    };
    // A connection in its handshake has a request in flight that disconnect() does not stop: a
    // Cluster still connecting its CLUSTER SLOTS (with a timer), a standalone connection in
    // 'connect' its INFO ready check (ioredis 5 then fails it and disconnects a second time, with a
    // 2 s timer nothing clears). Let the attempt settle, then close.
    const handshaking = connection.status === (connection.isCluster ? 'connecting' : 'connect');
    if (!handshaking) return close();
    const settled = (): void => {
      connection.off('ready', settled);
      connection.off('close', settled);
      close();
    };
    connection.once('ready', settled);
    connection.once('close', settled);
  });
}
