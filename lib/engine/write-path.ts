import { FenceRejectedError, InvalidOptionsError, LockLostError, SerializationError, StoreError, WarpError } from '../common/warp.errors.js';
import { messageOf, type EngineContext } from './engine-context.js';
import type { Envelope } from '../common/envelope.js';
import { Mode } from '../common/mode.js';
import type { Registration } from '../common/registry.js';
import { assertStorable } from '../codec/assert-storable.js';
import { KeyWrites, type WriteTicket } from './key-writes.js';
import { writeStrong, type WriteBody } from './strong-write.js';

/**
 * Writes: `set` and `delete` are write-through (the store first), `put` and `evict` are the
 * decorators' cache-aside writes (the decorated method persists). Writes of a key are serialized
 * per process; StrongDistributed writes run the cluster protocol under the key's write lock:
 * prepare → persist with the lock's fencing token → tiers → commit (docs/consistency.md). A write
 * that fails before persisting changes nothing; a failed store write leaves no cache entry and
 * no broadcast behind.
 */
export class WritePath {
  /** Serializes the writes of each key and carries their tickets. */
  private readonly writes = new KeyWrites();

  constructor(private readonly context: EngineContext) {}

  /** Write-through: merge, persist (`storeTtl`: the store's expiry of the value), tiers, propagate by mode. */
  set(key: string, registration: Registration, value: unknown, ttl: number, storeTtl?: number): Promise<void> {
    // Nothing to await before the store write (no lock, no current value, no shared tier): setDirect.
    if (registration.mode !== Mode.StrongDistributed && this.context.tiers.putsLocally && !this.context.mergeEngine.needsCurrent(registration.merge)) {
      const ticket = this.writes.tryBegin(key);
      if (ticket !== undefined) return this.setDirect(key, registration, value, ttl, storeTtl, ticket);
    }
    return this.write(key, registration, {
      ttl,
      drops: false,
      run: async (fence, assertHeld) => {
        const entry = await this.merged(key, registration, value);
        assertHeld();
        await this.writeStore(key, registration, entry.value, fence, storeTtl);
        return { result: undefined, entry };
      },
    });
  }

  /** Write-through delete: the store, then every tier, everywhere by mode. */
  delete(key: string, registration: Registration): Promise<void> {
    const { store } = this.context;
    if (store.delete === undefined) {
      return Promise.reject(new InvalidOptionsError(`Cannot delete "${key}": the store has no delete() method`, { key }));
    }
    return this.write(key, registration, {
      ttl: 0,
      drops: true,
      run: async (fence, assertHeld) => {
        assertHeld();
        try {
          await store.delete!(key, fence === undefined ? undefined : { fence });
        } catch (error) {
          throw this.storeFailure(key, registration, error);
        }
        return { result: undefined };
      },
    });
  }

  /**
   * `@WarpPut`: runs `method` (which persists), then puts its result in the tiers and propagates
   * by mode; a result of `undefined` evicts instead. StrongDistributed: inside the protocol.
   */
  put<R>(key: string, registration: Registration, method: () => Promise<R>): Promise<R> {
    return this.write(key, registration, {
      ttl: registration.ttl,
      drops: false,
      run: async (_fence, assertHeld) => {
        assertHeld();
        const result = await method();
        if (result === undefined) return { result };
        try {
          assertStorable(this.context.codec, key, result);
        } catch (error) {
          if (!(error instanceof SerializationError)) throw error;
          this.context.logger.warn(`Warp: @WarpPut result for "${key}" was not cached: ${error.message}`);
          return { result };
        }
        return { result, entry: { value: result, ts: this.context.clock.now(), origin: this.context.nodeId } };
      },
    });
  }

  /** `@WarpEvict`: runs `method`, then drops the key everywhere by mode. StrongDistributed: inside the protocol. */
  evict<R>(key: string, registration: Registration, method: () => Promise<R>): Promise<R> {
    return this.write(key, registration, {
      ttl: 0,
      drops: true,
      run: async (_fence, assertHeld) => {
        assertHeld();
        return { result: await method() };
      },
    });
  }

  /**
   * Drops a key from the tiers here and, by mode, on every peer (StrongDistributed: acknowledged).
   * The store is untouched.
   */
  async invalidate(key: string, registration: Registration): Promise<void> {
    const { context } = this;
    context.lastKnown?.forget(key);
    try {
      await context.tiers.drop(key);
    } finally {
      // Peers hear of it even when the shared tier is down: their local copies must go.
      if (registration.mode === Mode.EventualDistributed) context.cluster.invalidateSoon(key, true);
      else if (registration.mode === Mode.StrongDistributed) await context.cluster.invalidateAcknowledged([key]);
    }
  }

  /** Resolves once every write running or queued now has finished (shutdown). */
  async idle(): Promise<void> {
    await this.writes.idle();
    // A write whose shared copy could not be written announces itself again after deleting it.
    await this.context.tiers.settled();
  }

  /** A peer's newer write of these keys arrived: local writes of them in flight must not cache their value. */
  overtake(keys: readonly string[]): void {
    for (const key of keys) this.writes.overtake(key);
  }

  /**
   * `set` of a StrongLocal or EventualDistributed key that needs no merge, no write of which is
   * running, on a node-local cache: the steps of `writeLocal` with one reaction to the store's
   * promise and no async frame (the hot path of a memory-store write). The key stays held from
   * here until the tiers are settled, so writes of it queued meanwhile run after.
   */
  private setDirect(key: string, registration: Registration, value: unknown, ttl: number, storeTtl: number | undefined, ticket: WriteTicket): Promise<void> {
    const { context } = this;
    const entry: Envelope = { value, ts: context.clock.now(), origin: context.nodeId };
    let stored: Promise<void>;
    try {
      stored = Promise.resolve(this.storeSet(key, value, undefined, storeTtl));
    } catch (error) {
      stored = Promise.reject(error);
    }
    return stored.then(
      () => {
        let settling: Promise<void> | undefined;
        try {
          settling = this.settleLocal(key, registration, entry, ttl, false, ticket);
        } finally {
          if (settling === undefined) this.writes.end(key, ticket);
        }
        return settling?.finally(() => this.writes.end(key, ticket));
      },
      (error: unknown) => {
        // Nothing cached, nothing broadcast: the key is released as it was.
        this.writes.end(key, ticket);
        throw this.storeFailure(key, registration, error);
      },
    );
  }

  private write<R>(key: string, registration: Registration, body: WriteBody<R>): Promise<R> {
    return this.writes.run(key, (ticket) =>
      registration.mode === Mode.StrongDistributed ? writeStrong(this.context, key, body, (entry) => this.recorded(key, registration, entry, body.ttl, body.drops)) : this.writeLocal(key, registration, body, ticket),
    );
  }

  /** StrongLocal and EventualDistributed: run, then the tiers (unless a peer's newer write overtook it), then propagate. */
  private async writeLocal<R>(key: string, registration: Registration, body: WriteBody<R>, ticket: WriteTicket): Promise<R> {
    const { result, entry } = await body.run(undefined, noop);
    await this.settleLocal(key, registration, entry, body.ttl, body.drops, ticket);
    return result;
  }

  /**
   * A persisted local write: the tiers (unless a peer's newer write overtook it), then the
   * fail-safe and versions, then peers by mode. Synchronous (`undefined`) when the tiers are
   * written in place, else the promise of the rest.
   */
  private settleLocal(key: string, registration: Registration, entry: Envelope | undefined, ttl: number, drops: boolean, ticket: WriteTicket): Promise<void> | undefined {
    const { context } = this;
    const announce = registration.mode === Mode.EventualDistributed ? () => context.cluster.invalidateSoon(key, drops) : undefined;
    let tiering: Promise<void> | undefined;
    if (entry === undefined || ticket.overtaken) {
      // Overtaken: a peer wrote the key while this write was in flight, and which of the two the
      // store kept last is unknown here. Dropping both tiers is right either way.
      if (entry !== undefined) context.metrics.staleFillsDiscarded(registration.pattern);
      tiering = context.tiers.drop(key).then(announce);
    } else if (context.tiers.putLocal(key, entry, ttl)) {
      announce?.();
    } else {
      // Peers hear of the write once they can read it in the shared tier (see Tiers.put). A peer's
      // write landing while the shared tier answered was undone by the local write that followed
      // it (a tiered cache writes L1 after L2): drop the key as if overtaken before.
      tiering = context.tiers.put(key, entry, ttl, announce).then(() => {
        if (!ticket.overtaken) return;
        context.metrics.staleFillsDiscarded(registration.pattern);
        return context.tiers.drop(key);
      });
    }
    if (tiering === undefined) {
      this.recorded(key, registration, entry, ttl, drops);
      return undefined;
    }
    return tiering.then(() => this.recorded(key, registration, entry, ttl, drops));
  }

  private recorded(key: string, registration: Registration, entry: Envelope | undefined, ttl: number, drops: boolean): void {
    const { context } = this;
    if (entry === undefined) {
      if (drops) context.lastKnown?.forget(key);
      return;
    }
    context.lastKnown?.remember(key, entry.value, ttl);
    context.versions?.record(key, entry);
    context.metrics.set(registration.pattern);
  }

  /** The value to persist: `value` stamped now, merged with the current one when the registration merges. */
  private async merged(key: string, registration: Registration, value: unknown): Promise<Envelope> {
    const { context } = this;
    const next: Envelope = { value, ts: context.clock.now(), origin: context.nodeId };
    if (!context.mergeEngine.needsCurrent(registration.merge)) return next;
    return context.mergeEngine.merge(key, await this.current(key, registration), next, registration.merge);
  }

  /**
   * The current value for a merge. StrongDistributed reads the store, the one copy a pending or
   * orphaned write cannot have made stale; the other modes read through L1, L2, then the store.
   */
  private async current(key: string, registration: Registration): Promise<Envelope | undefined> {
    const { context } = this;
    if (registration.mode !== Mode.StrongDistributed) {
      const local = context.tiers.peek(key);
      if (local !== undefined) return local;
      if (context.tiers.shared) {
        const shared = await context.tiers.readShared(key);
        if (shared !== undefined) return shared;
      }
    }
    let stored: unknown;
    try {
      stored = await context.tiers.bounded(context.store.get(key));
    } catch (error) {
      throw new StoreError(`Store read of "${key}" (the current value to merge with) failed: ${messageOf(error)}`, { key, cause: error });
    }
    return stored === undefined ? undefined : { value: stored, ts: 0, origin: '' };
  }

  private async writeStore(key: string, registration: Registration, value: unknown, fence: bigint | undefined, ttl: number | undefined): Promise<void> {
    try {
      await this.storeSet(key, value, fence, ttl);
    } catch (error) {
      throw this.storeFailure(key, registration, error);
    }
  }

  /** `WarpStore.set` with only the fields that apply: a store sees `write` only when there is something to say. */
  private storeSet(key: string, value: unknown, fence: bigint | undefined, ttl: number | undefined): Promise<void> {
    const { store } = this.context;
    if (fence === undefined && ttl === undefined) return store.set(key, value);
    return store.set(key, value, ttl === undefined ? { fence } : fence === undefined ? { ttl } : { fence, ttl });
  }

  private storeFailure(key: string, registration: Registration, error: unknown): WarpError {
    if (error instanceof SerializationError) return error;
    if (error instanceof FenceRejectedError) {
      return new LockLostError(`StrongDistributed write of "${key}" was refused by the store: a newer lock holder wrote it first`, { key, cause: error });
    }
    this.context.metrics.storeError?.(registration.pattern, 'write');
    return new StoreError(`Store write of "${key}" failed; the cache and peers were left untouched: ${messageOf(error)}`, { key, cause: error });
  }
}

function noop(): void {}
