import { BusError } from '../common/warp.errors.js';
import { MemoryLocker } from '../lock/memory.locker.js';
import { BaseSyncBus } from './base-sync-bus.js';

interface Delivery {
  readonly node: MemoryBusNode;
  readonly channel: string;
  readonly payload: Uint8Array;
}

/**
 * @internal The medium shared by every view of one `MemoryBus`: a single FIFO of deliveries, drained in a
 * later macrotask (`setImmediate`), which keeps each publisher's order, never runs a handler inside
 * `publish`, and lets I/O run between batches even when handlers publish in reply.
 */
export class MemoryBusHub {
  /** The lock service of the nodes on this bus: one process, so one in-memory locker serves them all. */
  readonly locker = new MemoryLocker();
  private readonly nodes = new Set<MemoryBusNode>();
  private queue: Delivery[] = [];
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  join(node: MemoryBusNode): void {
    this.nodes.add(node);
  }

  leave(node: MemoryBusNode): void {
    this.nodes.delete(node);
  }

  publish(channel: string, payload: Uint8Array): void {
    for (const node of this.nodes) {
      // One copy per node, like a real transport: neither the publisher nor another node can
      // change the bytes a node received.
      if (node.listensTo(channel)) this.queue.push({ node, channel, payload: Buffer.from(payload) });
    }
    this.schedule();
  }

  /** How many nodes of this bus listen to `channel` now. */
  listeners(channel: string): number {
    let count = 0;
    for (const node of this.nodes) if (node.listensTo(channel)) count++;
    return count;
  }

  /** Resolves once every delivery queued so far (and any queued by their handlers) is done. */
  idle(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const { node, channel, payload } of batch) node.deliver(channel, payload);
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
}

/**
 * One node's view of a `MemoryBus`, from `bus.node()`: its own subscriptions and its own link, so
 * a test can cut this node off (`disconnect()`) while the rest of the cluster keeps talking.
 */
export class MemoryBusNode extends BaseSyncBus {
  private linkUp = true;
  private joined = false;

  /** @internal Use `new MemoryBus()` and `bus.node()`. */
  constructor(protected readonly hub: MemoryBusHub) {
    super('MemoryBus node');
  }

  /**
   * @internal The locker every node of this bus shares (the default `locks` of a Warp on a
   * MemoryBus), so StrongDistributed writes are serialized across the in-process cluster.
   */
  get sharedLocker(): MemoryLocker {
    return this.hub.locker;
  }

  /**
   * How many nodes of this bus (this one included) listen to `channel`: a bus in one process knows
   * its whole membership, so a node alone on it needs no admission window.
   */
  listenerCount(channel: string): number {
    return this.hub.listeners(channel);
  }

  /** Joins the bus; `connected` is then true while the link is up. Idempotent. @throws BusError once closed. */
  async connect(): Promise<void> {
    this.ensureOpen('connect');
    if (!this.joined) {
      this.joined = true;
      this.hub.join(this);
    }
    this.state.set(this.linkUp);
  }

  /**
   * Queues the payload for every node subscribed to the channel, this one included; handlers run
   * in a later macrotask, in publish order.
   * @throws BusError when closed or cut off by `disconnect()`.
   */
  async publish(channel: string, payload: Uint8Array): Promise<void> {
    if (!this.joined) await this.connect();
    this.ensureOpen(`publish on "${channel}"`, channel);
    if (!this.linkUp) {
      throw new BusError(`Cannot publish on "${channel}": this MemoryBus node is disconnected (disconnect() test hook)`, {
        key: channel,
      });
    }
    this.hub.publish(channel, payload);
  }

  // In memory, a channel needs nothing on a wire to become active.
  protected async subscribeChannel(): Promise<void> {}

  protected async unsubscribeChannel(): Promise<void> {}

  /** Leaves the bus for good (`close()`): later messages are not queued for this node. */
  protected async release(): Promise<void> {
    this.hub.leave(this);
  }

  /**
   * Test hook: simulates a transport drop for this view. Until `reconnect()`, its publishes reject
   * with `BusError` and messages meant for it are lost (not delayed), as on a real transport; its
   * subscriptions survive. Connection listeners hear `false` synchronously.
   */
  disconnect(): void {
    if (!this.linkUp) return;
    this.linkUp = false;
    if (this.joined && !this.closed) this.state.set(false);
  }

  /** Test hook: ends a `disconnect()`; connection listeners hear `true` synchronously. */
  reconnect(): void {
    if (this.linkUp) return;
    this.linkUp = true;
    if (this.joined && !this.closed) this.state.set(true);
  }

  /**
   * Test hook: resolves once every message published so far on the bus has been delivered,
   * including messages the handlers published in reply. Lets tests await propagation instead of
   * sleeping.
   */
  flush(): Promise<void> {
    return this.hub.idle();
  }

  /** @internal Whether a message published now on `channel` should be queued for this node. */
  listensTo(channel: string): boolean {
    return this.linkUp && !this.closed && this.registry.has(channel);
  }

  /** @internal Runs this node's handlers of `channel`, unless it was cut off meanwhile. */
  deliver(channel: string, payload: Uint8Array): void {
    if (this.linkUp && !this.closed) this.registry.dispatch(channel, payload);
  }
}

/**
 * An in-process `WarpBus`: the embedded default, and the way to run a cluster in one process.
 *
 * - **A shared instance is a cluster.** Pass the same `MemoryBus` to several `WarpModule`s (or
 *   `Warp` instances): they all subscribe through it and hear each other (and themselves; the
 *   protocol drops a node's own messages by origin). Because each of them closes its bus on
 *   shutdown, `close()` of a `MemoryBus` itself releases nothing: it holds no connection, and
 *   each subscription ends through its remover.
 * - **Per-node views for fault tests.** `bus.node()` returns a {@link MemoryBusNode} on the same
 *   bus with its own subscriptions, link and `close()`. Give each node its own view and cut one
 *   off with `view.disconnect()` / `view.reconnect()` (its `onConnectionChange` listeners fire),
 *   while the other nodes keep talking. On the shared instance, `disconnect()` cuts off every
 *   module that uses it directly.
 * - **Delivery** is asynchronous (a later macrotask, never inside `publish`), in publish order
 *   per publisher, each node receiving its own copy of the bytes. `flush()` awaits it.
 *
 * @example
 * const bus = new MemoryBus();
 * const a = new Warp({ bus: bus.node() }), b = new Warp({ bus: bus.node() });
 * // or, without fault injection: WarpModule.forRoot({ bus }) in two modules
 */
export class MemoryBus extends MemoryBusNode {
  constructor() {
    super(new MemoryBusHub());
  }

  /** A new node's view of this bus, with its own subscriptions, link and `close()`. */
  node(): MemoryBusNode {
    return new MemoryBusNode(this.hub);
  }

  /**
   * Releases nothing and leaves the bus usable: the instance may be shared by several modules,
   * each of which closes it on shutdown. Subscriptions end through their removers.
   */
  override async close(): Promise<void> {}
}
