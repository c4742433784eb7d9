import type { Cluster, Redis } from 'ioredis';

/**
 * Where an ioredis client connects, for messages: `host:port`, a Unix socket path, the Sentinel
 * master and its sentinels, or a Cluster's startup nodes. Reads the client's options only.
 */
export function describeRedisEndpoint(client: Redis | Cluster): string {
  if (client.isCluster) {
    // `startupNodes` is private in ioredis's types but is what the Cluster was given.
    const nodes = (client as unknown as { startupNodes?: unknown[] }).startupNodes ?? [];
    return `cluster ${nodes.map(describeNode).join(', ')}`;
  }
  const { sentinels, name, path, host, port } = (client as Redis).options;
  if (sentinels !== null && sentinels !== undefined && sentinels.length > 0) {
    return `sentinel master "${String(name)}" via ${sentinels.map((s) => `${s.host ?? 'localhost'}:${s.port ?? 26379}`).join(', ')}`;
  }
  if (path) return path;
  return `${host ?? 'localhost'}:${port ?? 6379}`;
}

function describeNode(node: unknown): string {
  if (typeof node === 'number') return `localhost:${node}`;
  if (typeof node === 'string') return node;
  const { host, port } = (node ?? {}) as { host?: string; port?: number };
  return `${host ?? 'localhost'}:${port ?? 6379}`;
}
