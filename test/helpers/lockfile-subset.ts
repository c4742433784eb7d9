/** One `packages` entry of an npm lockfile (v3). */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  peer?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}

/** The folder holding the `node_modules` a lockfile path sits in: `a/node_modules/@s/b` → `a`. */
function parentOf(path: string): string {
  const at = path.lastIndexOf('/node_modules/');
  return at === -1 ? '' : path.slice(0, at);
}

/** Where Node finds `name` from the package at `from` in this lockfile's tree (nearest `node_modules` up). */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = parentOf(dir)) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (dir === '') return undefined;
  }
}

/**
 * The entries of `packages` (a lockfile's tree) that the packages `roots` need, at the same paths
 * and versions, with the dev/peer/optional flags dropped (they are an app's dependencies now).
 * Lets a throwaway app install exactly what this project's lockfile holds, so `npm ci --offline`
 * finds every tarball in the cache our own `npm ci` filled. Required peers are followed; optional
 * peers are not (this project's tree has many only for its own tests): the app lists those it uses.
 *
 * @throws Error naming the package when a required dependency is not in the tree.
 */
export function lockfileSubset(packages: Record<string, LockEntry>, roots: readonly string[]): Record<string, LockEntry> {
  const picked: Record<string, LockEntry> = {};
  const queue: string[] = [];
  const visit = (from: string, name: string, required: boolean): void => {
    const path = resolveIn(packages, from, name);
    if (path === undefined) {
      if (required) throw new Error(`${name} (needed by ${from || 'the app'}) is not in the lockfile`);
      return;
    }
    if (picked[path] !== undefined) return;
    const { dev: _dev, peer: _peer, optional: _optional, devOptional: _devOptional, ...entry } = packages[path]!;
    picked[path] = entry;
    queue.push(path);
  };
  for (const name of roots) visit('', name, true);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const entry = packages[path]!;
    for (const name of Object.keys(entry.dependencies ?? {})) visit(path, name, true);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) visit(path, name, false);
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      if (entry.peerDependenciesMeta?.[name]?.optional !== true) visit(path, name, true);
    }
  }
  return picked;
}
