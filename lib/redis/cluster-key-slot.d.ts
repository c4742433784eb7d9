// The package ships no types: the two functions Warp uses (ioredis computes slots with the same).
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0 to 16383) of a key, honouring hash tags. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The slot shared by every key, or -1 when they span slots. */
    function generateMulti(keys: ReadonlyArray<string | Buffer>): number;
  }
  export = calculateSlot;
}
