// The benchmark clusters: three child-process nodes of one fixture in one namespace on the
// machine's Redis, and the Warp build each one runs (this tree's or `--compare-build <dir>`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeProcess, stopNodeCluster } from '../test/helpers/node-process.js';
import { WARP_LIB_ENV } from './fixtures/warp-lib.js';

export const WARP_NODE = fileURLToPath(new URL('./fixtures/warp-node.js', import.meta.url));

/** A compiled Warp library a benchmark child can run. */
export interface WarpBuild {
  /** Short name in the tables: the commit (and `+changes` for a dirty lib/). */
  label: string;
  /** Absolute path of its `lib/index.js`. */
  entry: string;
}

/** This tree's compiled library (build/lib/index.js next to this file's build/bench/). */
export function ownBuild(): WarpBuild {
  const entry = fileURLToPath(new URL('../lib/index.js', import.meta.url));
  return { label: `this build ${revision(entry)}`, entry };
}

/**
 * Another checkout's compiled library: `dir` is its root (built with `npm run build:all`), its
 * `build/` folder or its `build/lib/` folder.
 * @throws Error naming the paths tried when none holds a compiled library.
 */
export function compareBuild(dir: string): WarpBuild {
  const root = resolve(dir);
  const tried = [join(root, 'build/lib/index.js'), join(root, 'lib/index.js'), join(root, 'index.js')];
  const entry = tried.find((path) => existsSync(path));
  if (entry === undefined) {
    throw new Error(`bench: --compare-build ${dir}: no compiled library at ${tried.join(', ')} (run \`npm run build:all\` there)`);
  }
  return { label: `compare build ${revision(entry)}`, entry };
}

/** The commit of the checkout holding `entry`, `+changes` when its lib/ differs from it. */
function revision(entry: string): string {
  const cwd = dirname(entry);
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: top, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty === '' ? sha : `${sha}+changes`;
  } catch {
    return 'no-git';
  }
}

/** Starts nodes a, b and c of `script` in `namespace`, running `build` (default: this tree's). */
export async function startCluster(script: string, namespace: string, env: Record<string, string> = {}, build?: WarpBuild): Promise<NodeProcess[]> {
  const lib: Record<string, string> = build === undefined ? {} : { [WARP_LIB_ENV]: build.entry };
  return Promise.all(
    ['a', 'b', 'c'].map((n) => NodeProcess.start(n, script, { BENCH_NODE_ID: `${namespace}-${n}`, BENCH_NAMESPACE: namespace, ...lib, ...env })),
  );
}

/** Stops the nodes and deletes every Redis key of their namespace. */
export function stopCluster(nodes: readonly NodeProcess[], namespace: string): Promise<void> {
  return stopNodeCluster(nodes, namespace);
}

/** Polls until every Warp node sees its two peers (heartbeats), so strong writes wait for all of them. */
export async function awaitMembership(nodes: readonly NodeProcess[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const peers = await Promise.all(nodes.map((n) => n.call<number>('peers')));
    if (peers.every((p) => p === nodes.length - 1)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bench: the Warp nodes did not see each other within 10 s');
}
