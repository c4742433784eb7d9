import { QuorumNotReachedError } from '../common/warp.errors.js';

/**
 * A writer waits this much longer than `leaseMs` for a silent member: its lease and our wait run
 * on two monotonic clocks, assumed to agree within 5 % over one lease.
 */
export const LEASE_CLOCK_MARGIN = 1.05;

/** A prepared StrongDistributed write: every member evicted its keys and marks them pending. */
export interface PreparedWrite {
  readonly id: number;
  readonly keys: readonly string[];
  /** Peers drop the pending mark (and their local copies) and may cache the new value again. */
  commit(): void;
  /** The write did not happen: peers drop the pending mark. */
  abort(): void;
  /**
   * The write happened but the cache tiers could not be left coherent (the shared copy may be
   * older than the store): no commit is sent and the write is no longer listed, so each peer's
   * mark runs to its deadline and the peer then drops every copy of the keys (an orphaned write).
   */
  abandon(): void;
}

/** What the writer side needs from the cluster. */
export interface StrongWriteHost {
  /** Live members (`nodeId/incarnation`) whose acknowledgement is awaited. */
  liveMembers(): string[];
  /** Whether this node knows every live member (it has been in the cluster for a full liveness window). */
  admitted(): boolean;
  /**
   * Whether this node's transport is up and it has heard its own heartbeat since (the prepare's
   * own echo then proves the bus carries it; acknowledgements or lease expiry do the rest).
   */
  canWrite(): boolean;
  /** Resolves `true` once `canWrite()` holds, `false` after `timeoutMs`. */
  whenWritable(timeoutMs: number): Promise<boolean>;
  /** Publishes a protocol message; rejects when the bus refused it. */
  send(kind: 'prep' | 'commit' | 'abort', body: unknown): Promise<void>;
  leaseMs: number;
  publishTimeout: number;
  /** Acknowledgements required besides the lease rule: 0 for quorum 'all'. */
  minAcks: number;
}

interface Preparing {
  keys: string[];
  ttl: number;
  /** Members that acknowledged. */
  acked: Set<string>;
  /** Live members, as known when the prepare came back, that have not acknowledged yet. */
  waiting?: Set<string>;
  echoedAt?: number;
  timer?: NodeJS.Timeout;
  settle(error?: Error): void;
}

/**
 * The writer's side of the StrongDistributed protocol: prepare (broadcast, acknowledgements, or
 * the lease of a silent member provably over), then commit or abort. Writes in progress are
 * listed in this node's heartbeats, so a node that joins meanwhile marks their keys pending too.
 */
export class StrongWrites {
  private readonly preparing = new Map<number, Preparing>();
  /** Prepared, not yet committed or aborted: id → keys and lock TTL. */
  private readonly inProgress = new Map<number, { keys: readonly string[]; ttl: number }>();
  private nextId = 0;

  constructor(private readonly host: StrongWriteHost) {}

  /**
   * Prepares a write of `keys` whose lock lives `ttl` ms.
   * @throws QuorumNotReachedError when the prepare cannot complete (abort already sent): nothing changed.
   */
  async prepare(keys: string[], ttl: number): Promise<PreparedWrite> {
    // Just started or reconnecting: the lease comes with the next echo of a heartbeat.
    if (!this.host.canWrite() && !(await this.host.whenWritable(this.host.publishTimeout))) {
      throw this.failure(keys, 'this node has lost contact with the bus');
    }
    const id = ++this.nextId;
    return new Promise<PreparedWrite>((resolve, reject) => {
      const state: Preparing = {
        keys,
        ttl,
        acked: new Set(),
        settle: (error) => {
          if (this.preparing.get(id) !== state) return;
          clearTimeout(state.timer);
          this.preparing.delete(id);
          if (error !== undefined) {
            this.finish(id, keys, 'abort');
            reject(error);
          } else {
            resolve(this.prepared(id, keys));
          }
        },
      };
      this.preparing.set(id, state);
      this.inProgress.set(id, { keys, ttl });
      // Not unref'ed: a caller awaits this, and the process must live until it settles.
      state.timer = setTimeout(
        () => state.settle(this.failure(keys, `the prepare did not come back through the bus within ${this.host.publishTimeout}ms`)),
        this.host.publishTimeout,
      );
      this.host.send('prep', { id, keys, ttl }).catch((error: unknown) => state.settle(this.failure(keys, `publishing the prepare failed: ${String(error)}`)));
    });
  }

  /**
   * This node's own prepare came back through the bus. By now this node has processed every
   * message ordered before it on the channel, so its membership is the one to wait for: a member
   * heard of only later received the prepare first; a member not live now has no lease left
   * (membership decided when sending could miss a member whose heartbeats this node had not
   * processed yet).
   */
  echoed(id: number): void {
    const state = this.preparing.get(id);
    if (state === undefined || state.echoedAt !== undefined) return;
    state.echoedAt = performance.now();
    state.waiting = new Set(this.host.liveMembers().filter((member) => !state.acked.has(member)));
    clearTimeout(state.timer);
    if (this.ready(state)) return this.complete(state);
    // A member that did not answer by now has not seen the prepare; its lease ends within leaseMs.
    state.timer = setTimeout(() => this.complete(state), this.host.leaseMs * LEASE_CLOCK_MARGIN + 1);
  }

  /** `member` acknowledged prepare `id`. */
  acknowledged(id: number, member: string): void {
    const state = this.preparing.get(id);
    if (state === undefined || state.acked.has(member)) return;
    state.acked.add(member);
    if (state.waiting?.delete(member) && this.ready(state)) this.complete(state);
  }

  /** `member` left the cluster: nobody waits for it. */
  departed(member: string): void {
    for (const state of this.preparing.values()) {
      if (state.waiting?.delete(member) && this.ready(state)) this.complete(state);
    }
  }

  /** Writes in progress, for heartbeats: `[id, key, ttl]` each, at most `limit`. */
  listInProgress(limit: number): Array<[number, string, number]> {
    const listed: Array<[number, string, number]> = [];
    for (const [id, { keys, ttl }] of this.inProgress) {
      for (const key of keys) {
        if (listed.length === limit) return listed;
        listed.push([id, key, ttl]);
      }
    }
    return listed;
  }

  /** Rejects every prepare in flight (shutdown). */
  close(error: Error): void {
    for (const state of [...this.preparing.values()]) state.settle(error);
  }

  /** The prepare came back, every member live then answered, and this node knows every member there is. */
  private ready(state: Preparing): boolean {
    return state.waiting !== undefined && state.waiting.size === 0 && this.host.admitted();
  }

  private complete(state: Preparing): void {
    if (state.acked.size < this.host.minAcks) {
      return state.settle(this.failure(state.keys, `${state.acked.size} of the ${this.host.minAcks} required acknowledgements`));
    }
    // The transport dropped while waiting: acknowledgements may have been lost with it, and the
    // reconnection flushed this node's view. (A stall is harmless here: the write lock, checked
    // before persisting, bounds it.)
    if (!this.host.canWrite()) return state.settle(this.failure(state.keys, 'this node lost the bus while preparing'));
    state.settle();
  }

  private prepared(id: number, keys: string[]): PreparedWrite {
    let done = false;
    const end = (kind: 'commit' | 'abort' | 'abandon') => {
      if (done) return;
      done = true;
      if (kind === 'abandon') this.inProgress.delete(id);
      else this.finish(id, keys, kind);
    };
    return { id, keys, commit: () => end('commit'), abort: () => end('abort'), abandon: () => end('abandon') };
  }

  private finish(id: number, keys: readonly string[], kind: 'commit' | 'abort'): void {
    this.inProgress.delete(id);
    // A lost commit/abort only leaves peers reading through until the mark's deadline: safe.
    const send = () => void this.host.send(kind, { id, keys }).catch(() => undefined);
    // A commit leaves after the caller's continuation (its `set` resolved): encoding and writing it
    // cost the write ~0.1 ms at p50 and, on a busy machine, a descheduling now and then. Nothing
    // waits for it: until it lands peers keep the key pending and read the store, which already
    // holds the new value (and the shared tier too, settled before the commit).
    if (kind === 'commit') setImmediate(send);
    else send();
  }

  private failure(keys: readonly string[], reason: string): QuorumNotReachedError {
    return new QuorumNotReachedError(
      `StrongDistributed write of "${keys[0]}" was not prepared: ${reason}. Nothing was written; retry when the cluster is reachable.`,
      { key: keys[0] },
    );
  }
}
