import { randomUUID } from 'node:crypto';
import type { BusMessage } from '../cluster/bus-protocol.js';
import type { ClusterChannel } from '../cluster/cluster-channel.js';
import { assertKey } from '../common/keys.js';
import type { WarpLogger } from '../interfaces/warp-logger.interface.js';
import type { WarpMetrics } from '../metrics/warp-metrics.interface.js';
import { InvalidOptionsError, LeaseNotFoundError, WarpClosedError } from '../common/warp.errors.js';
import { MAX_TIMER_MS } from '../common/limits.js';

/** Cluster message kind of lease grants, attachments, renewals and revocations. */
export const LEASE_MESSAGE_KIND = 'lease';

/** Keys per revocation message, well under the bus protocol's size limit (keys are <= 1 KiB). */
const MAX_KEYS_PER_MESSAGE = 256;
/** Encoded key bytes per revoke message: well under the protocol's 1 MiB message limit. */
const MAX_REVOKE_BYTES = 256 * 1024;
/** Ended lease ids remembered so a late or duplicated message cannot bring a lease back. */
const MAX_TOMBSTONES = 10_000;
/** Longest lease id accepted from the bus. */
const MAX_LEASE_ID_LENGTH = 128;

/** A granted lease. */
export interface Lease {
  /** Opaque id, unique across the cluster. */
  readonly id: string;
  /** Length of the lease in ms; each renewal extends it by this much from the renewal time. */
  readonly ttl: number;
  /** Epoch ms (this node's clock) at which the lease ends unless renewed. */
  readonly expiresAt: number;
}


/** What the lease manager needs from the engine. */
export interface LeaseManagerOptions {
  /** The cluster protocol's extension message kinds. */
  transport: ClusterChannel;
  nodeId: string;
  /** The engine's invalidate path: cache tiers here, then peers by the key's mode. */
  invalidate(key: string): Promise<void>;
  /** Drops keys from this node's cache tiers (local and shared) with no bus traffic. */
  dropHere(keys: readonly string[]): Promise<void>;
  /** Evicts keys from this node's local tier only: what a peer's revocation does. */
  evictLocal(keys: readonly string[]): void;
  metrics: WarpMetrics;
  logger: WarpLogger;
}

interface LeaseRecord {
  id: string;
  ttl: number;
  expiresAt: number;
  /** The node that granted or last renewed the lease: it runs the cluster-wide invalidation at expiry. */
  owner: string;
  keys: Set<string>;
  timer: NodeJS.Timeout;
}

type LeaseOp = 'grant' | 'attach' | 'renew' | 'revoke';

/**
 * Leases over the cluster bus: a lease is granted with a TTL, keys are attached to it, and when it
 * is revoked on any node, or expires without renewal, its keys are invalidated on every node.
 *
 * Every node keeps a replica of every live lease, fed by `lease` messages (grant, attach, renew,
 * revoke) that carry the lease's TTL, so a node that missed the grant still learns the lease from
 * a later attach or renewal. Each node runs its own expiry timer from the moment it heard of the
 * lease (no wall-clock comparison across nodes). At expiry the owner (the node that granted or
 * last renewed it) invalidates the keys through the engine and broadcasts a revocation; every
 * other node drops the keys from its own tiers, so an expiry takes effect even if the owner died.
 * Failure modes are in `docs/leases.md`.
 */
export class LeaseManager {
  private readonly leases = new Map<string, LeaseRecord>();
  /** Insertion-ordered: the oldest tombstone is forgotten first. */
  private readonly tombstones = new Set<string>();
  private closed = false;

  constructor(private readonly options: LeaseManagerOptions) {
    options.transport.on(LEASE_MESSAGE_KIND, (message) => this.receive(message));
  }

  /** Live leases known on this node. */
  get size(): number {
    return this.leases.size;
  }

  /** The lease `id` as this node knows it, or `undefined`. */
  get(id: string): Lease | undefined {
    const record = this.leases.get(id);
    return record === undefined ? undefined : toLease(record);
  }

  /** Keys attached to the lease `id` known on this node (empty when unknown). */
  keysOf(id: string): string[] {
    return [...(this.leases.get(id)?.keys ?? [])];
  }

  /**
   * Grants a lease of `ttlMs` and announces it to the cluster.
   * @throws InvalidOptionsError unless `ttlMs` is a finite number in (0, 2147483647];
   *   WarpClosedError after `close()`.
   */
  async grant(ttlMs: number): Promise<Lease> {
    if (ttlMs === undefined || !isDuration(ttlMs)) {
      throw new InvalidOptionsError(`Invalid lease ttl ${String(ttlMs)}: expected a number of ms > 0 and <= ${MAX_TIMER_MS}`);
    }
    this.assertOpen();
    const record = this.upsert(randomUUID(), ttlMs, this.options.nodeId);
    await this.send('grant', { id: record.id, ttl: ttlMs });
    return toLease(record);
  }

  /**
   * Attaches `key` to the lease: the key is invalidated everywhere when the lease ends. The key's
   * registration is the engine's concern; here it only has to be a valid key.
   * @throws LeaseNotFoundError when the lease is unknown, revoked or expired; InvalidKeyError.
   */
  async attach(id: string, key: string): Promise<void> {
    assertKey(key);
    const record = this.require(id, `attach "${key}" to`);
    if (record.keys.has(key)) return;
    record.keys.add(key);
    await this.send('attach', { id, ttl: record.ttl, left: Math.max(1, record.expiresAt - Date.now()), keys: [key] });
  }

  /**
   * Extends the lease by its TTL from now, on every node.
   * @throws LeaseNotFoundError when the lease is unknown, revoked or expired.
   */
  async renew(id: string): Promise<Lease> {
    const record = this.require(id, 'renew');
    this.upsert(id, record.ttl, this.options.nodeId);
    await this.send('renew', { id, ttl: record.ttl });
    return toLease(record);
  }

  /**
   * Ends the lease and invalidates its keys on every node: the engine's invalidate path here (which
   * reaches peers by each key's mode) plus a revocation message, so peers also drop keys only they
   * attached. Rejects with the first invalidation failure once all were tried.
   * @throws LeaseNotFoundError when the lease is unknown, revoked or expired; QuorumNotReachedError
   *   (StrongDistributed keys whose peers did not acknowledge).
   */
  async revoke(id: string): Promise<void> {
    const record = this.require(id, 'revoke');
    const keys = this.end(record);
    // Both always run: a failed broadcast must not leave the keys cached here or on their peers.
    const [broadcast, invalidated] = await Promise.allSettled([this.broadcastRevoke(id, keys), this.invalidateAll(id, keys, true)]);
    if (invalidated.status === 'rejected') throw invalidated.reason;
    if (broadcast.status === 'rejected') throw broadcast.reason;
  }

  /** Stops every expiry timer. Leases stay known to peers, which expire them on their own. */
  close(): void {
    this.closed = true;
    for (const record of this.leases.values()) clearTimeout(record.timer);
    this.leases.clear();
  }

  private require(id: string, action: string): LeaseRecord {
    this.assertOpen();
    const record = typeof id === 'string' ? this.leases.get(id) : undefined;
    if (record === undefined) {
      throw new LeaseNotFoundError(`Cannot ${action} lease "${String(id)}": it is unknown on this node, revoked or expired`, { key: String(id) });
    }
    return record;
  }

  /** Creates or refreshes a lease record; the expiry is counted from now on this node's clock. */
  private upsert(id: string, ttl: number, owner: string, left = ttl): LeaseRecord {
    let record = this.leases.get(id);
    if (record !== undefined) clearTimeout(record.timer);
    const timer = setTimeout(() => this.expire(id), left);
    timer.unref();
    if (record === undefined) {
      record = { id, ttl, expiresAt: 0, owner, keys: new Set(), timer };
      this.leases.set(id, record);
    }
    record.ttl = ttl;
    record.owner = owner;
    record.timer = timer;
    record.expiresAt = Date.now() + left;
    return record;
  }

  /** Forgets the lease for good on this node; returns its keys. */
  private end(record: LeaseRecord): string[] {
    clearTimeout(record.timer);
    this.leases.delete(record.id);
    this.tombstone(record.id);
    this.options.metrics.leaseRevoked();
    return [...record.keys];
  }

  private tombstone(id: string): void {
    this.tombstones.add(id);
    if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.values().next().value as string);
  }

  private expire(id: string): void {
    const record = this.leases.get(id);
    if (record === undefined || this.closed) return;
    const keys = this.end(record);
    if (record.owner === this.options.nodeId) {
      const logged = (error: unknown) => this.options.logger.warn(`Warp: broadcasting the expiry of lease "${id}": ${String(error)}`);
      void Promise.allSettled([this.broadcastRevoke(id, keys).catch(logged), this.invalidateAll(id, keys, false)]);
    } else if (keys.length > 0) {
      // The owner invalidates cluster-wide; this node does not count on it (the owner may be gone).
      this.options.dropHere(keys).catch((error: unknown) => this.options.logger.warn(`Warp: dropping the keys of expired lease "${id}": ${String(error)}`));
    }
  }

  private async invalidateAll(id: string, keys: string[], rethrow: boolean): Promise<void> {
    const results = await Promise.allSettled(keys.map((key) => this.options.invalidate(key)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure === undefined) return;
    if (rethrow) throw failure.reason;
    this.options.logger.warn(`Warp: invalidating the keys of expired lease "${id}": ${String(failure.reason)}`);
  }

  /** Sends the revocation in messages bounded by key count and by encoded size (escaping grows keys). */
  private async broadcastRevoke(id: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return this.send('revoke', { id, keys });
    let batch: string[] = [];
    let bytes = 0;
    for (const key of keys) {
      const size = Buffer.byteLength(JSON.stringify(key)) + 1;
      if (batch.length > 0 && (batch.length >= MAX_KEYS_PER_MESSAGE || bytes + size > MAX_REVOKE_BYTES)) {
        await this.send('revoke', { id, keys: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(key);
      bytes += size;
    }
    await this.send('revoke', { id, keys: batch });
  }

  private send(op: LeaseOp, body: Record<string, unknown>): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.options.transport.publish(LEASE_MESSAGE_KIND, { op, ...body });
  }

  private receive(message: BusMessage): void {
    if (this.closed) return;
    const body = parseBody(message.body);
    if (body === undefined) return this.options.metrics.busDropped('malformed');
    const { op, id, ttl, left, keys } = body;
    if (op === 'revoke') {
      const record = this.leases.get(id);
      const evicted = record === undefined ? keys : [...new Set([...this.end(record), ...keys])];
      if (record === undefined) this.tombstone(id);
      if (evicted.length > 0) this.options.evictLocal(evicted);
      return;
    }
    if (this.tombstones.has(id)) {
      // Late (or replayed): it must not revive the lease. A key attached concurrently with the
      // revocation belongs to an ended lease, so it goes too.
      if (op === 'attach' && keys.length > 0) this.options.evictLocal(keys);
      return;
    }
    if (ttl === undefined) return;
    const known = this.leases.get(id);
    const record = op === 'attach' && known !== undefined ? known : this.upsert(id, ttl, message.from, Math.min(left ?? ttl, ttl));
    for (const key of keys) record.keys.add(key);
  }

  private assertOpen(): void {
    if (this.closed) throw new WarpClosedError('Warp is closed: leases are unavailable');
  }
}

function toLease(record: LeaseRecord): Lease {
  return { id: record.id, ttl: record.ttl, expiresAt: record.expiresAt };
}

/** Checks a lease message from the bus without trusting it. */
function parseBody(raw: unknown): { op: LeaseOp; id: string; ttl?: number; left?: number; keys: string[] } | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const { op, id, ttl, left, keys = [] } = raw as Record<string, unknown>;
  if (op !== 'grant' && op !== 'attach' && op !== 'renew' && op !== 'revoke') return undefined;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_LEASE_ID_LENGTH) return undefined;
  if (!isDuration(ttl) || !isDuration(left)) return undefined;
  if (op !== 'revoke' && ttl === undefined) return undefined;
  if (!Array.isArray(keys) || keys.length > MAX_KEYS_PER_MESSAGE) return undefined;
  for (const key of keys) {
    try {
      assertKey(key);
    } catch {
      return undefined;
    }
  }
  return { op, id, ttl: ttl as number | undefined, left: left as number | undefined, keys: keys as string[] };
}

function isDuration(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && value > 0 && value <= MAX_TIMER_MS);
}
