/** How one node sees the cluster at one moment: `Warp.status()`. */
export interface WarpStatus {
  readonly nodeId: string;
  /** Random per start of the engine: tells a restarted node from the one it replaced. */
  readonly incarnation: string;
  /** Whether the node hears the cluster bus and its read lease (its own heartbeats echoing) holds. */
  readonly connected: boolean;
  /** Node ids of the live peers, sorted (this node not included). */
  readonly livePeers: readonly string[];
  /** Live members, this node included. */
  readonly members: number;
  /** Node ids that two live processes use at once (a misconfiguration: health reports down). */
  readonly duplicateNodeIds: readonly string[];
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Entries in the local cache tier, when the cache counts them. */
  readonly cacheEntries?: number;
}
