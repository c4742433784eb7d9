// Installs what users install: the npm tarball of this project, then a fresh ESM app outside the
// repository that depends on the tarball and on the Nest, rxjs and ioredis versions of our
// devDependencies, installed with `npm ci --offline` from the npm cache our own `npm ci` filled,
// and run with plain `node`. The tarball is packed from a staged copy of the package whose dist/
// is the lib/ that `npm test`'s build already compiled (build/lib, same compiler options but source
// maps, which are left out): `npm pack` here would run prepack's second tsc of lib/ (10 s idle,
// 40 s and more on a busy machine) for the same files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { lockfileSubset, type LockEntry } from '../helpers/lockfile-subset.js';
import { redisTestRun } from '../helpers/redis-test-run.js';
import { skipUnless } from '../helpers/services.js';

const skipRedis = await skipUnless('redis');
const redis = redisTestRun('packed-tarball');
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(repo, 'test/e2e/fixtures/packed-app');
/** What the app depends on besides the tarball, at our devDependencies' versions. */
const APP_DEPENDENCIES = ['@nestjs/common', '@nestjs/core', '@nestjs/microservices', '@nestjs/terminus', 'reflect-metadata', 'rxjs', 'ioredis'];

interface Output {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it fails, so the failure explains itself. */
async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Output> {
  try {
    // A variable set to undefined in `env` is removed from the child's environment.
    const childEnv = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined));
    return await promisify(execFile)(command, args, { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as Partial<Output>;
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stderr ?? ''}\n${stdout ?? ''}`, { cause: error });
  }
}

/** Runs one of the app's scripts and parses the JSON line it prints last. */
async function runApp(dir: string, script: string, env: NodeJS.ProcessEnv = {}): Promise<any> {
  const { stdout } = await run(process.execPath, [script], dir, env);
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

/**
 * The package directory `npm pack` would see after prepack: package.json, README, LICENSE, docs/,
 * and dist/ from build/lib without source maps. Returns its path.
 */
async function stagePackage(root: string): Promise<string> {
  const stage = join(root, 'package');
  const dist = join(stage, 'dist');
  await cp(join(repo, 'build/lib'), dist, { recursive: true, filter: (source) => !source.endsWith('.map') });
  for (const file of await readdir(dist, { recursive: true })) {
    if (!file.endsWith('.js')) continue;
    const path = join(dist, file);
    await writeFile(path, (await readFile(path, 'utf8')).replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  }
  for (const file of ['package.json', 'README.md', 'LICENSE']) await copyFile(join(repo, file), join(stage, file));
  await cp(join(repo, 'docs'), join(stage, 'docs'), { recursive: true });
  return stage;
}

interface PackResult {
  filename: string;
  integrity: string;
  files: Array<{ path: string }>;
}

// The checks after the install are independent (each runs its own node process on the installed
// app, the Redis one under its own prefix): they run at once, not one Nest boot after another.
describe('the npm tarball, installed in a fresh ESM Nest app', { concurrency: true }, () => {
  let root: string;
  let app: string;
  let packed: PackResult;
  let install: Output;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'warp-packed-'));
    app = join(root, 'app');
    await mkdir(app);
    [packed] = JSON.parse((await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], await stagePackage(root))).stdout) as PackResult[];

    const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));
    const lock = JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8'));
    const tarball = `file:../${packed.filename}`;
    const dependencies = { 'nestjs-warp': tarball, ...Object.fromEntries(APP_DEPENDENCIES.map((name) => [name, pkg.devDependencies[name]])) };
    // Our overrides (file-type for Node 20, see the README's pins) apply to the app as well: the
    // lockfile subset holds the overridden versions.
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'warp-packed-app', private: true, type: 'module', dependencies, overrides: pkg.overrides }, null, 2));
    const warpEntry: LockEntry = {
      version: pkg.version,
      resolved: tarball,
      integrity: packed.integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      engines: pkg.engines,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
    };
    const packages = { '': { name: 'warp-packed-app', dependencies }, 'node_modules/nestjs-warp': warpEntry, ...lockfileSubset(lock.packages, [...APP_DEPENDENCIES, ...Object.keys(pkg.dependencies)]) };
    await writeFile(join(app, 'package-lock.json'), JSON.stringify({ name: 'warp-packed-app', lockfileVersion: 3, requires: true, packages }, null, 2));
    for (const script of ['memory.mjs', 'redis.mjs', 'deep-import.mjs', 'testing.mjs', 'store-contract.test.mjs']) await copyFile(join(fixtures, script), join(app, script));
    // --offline: every tarball must come from the cache; a miss fails here instead of downloading.
    install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
  }, { timeout: 240_000 });

  after(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('ships the compiled code, its types, README, LICENSE and docs, and no sources or tests', () => {
    const paths = packed.files.map((file) => file.path);
    for (const path of ['package.json', 'LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/health/warp.health.js', 'dist/health/warp.health.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
      assert.ok(paths.includes(path), `${path} in the tarball`);
    }
    assert.deepEqual(paths.filter((path) => !/^(dist|docs)\//.test(path) && !['package.json', 'LICENSE', 'README.md'].includes(path)), []);
    assert.deepEqual(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')), []);
  });

  it('installs without engine warnings', () => {
    assert.doesNotMatch(install.stderr + install.stdout, /EBADENGINE/);
  });

  it('boots on the in-memory defaults, sets and gets a key through WarpService, and reports healthy through nestjs-warp/health', async () => {
    const { value, health } = await runApp(app, 'memory.mjs');
    assert.equal(value, 'hello');
    assert.equal(health.warp.status, 'up');
  });

  it('refuses deep imports through its exports map and allows the declared entry points', async () => {
    assert.deepEqual(await runApp(app, 'deep-import.mjs'), {
      'nestjs-warp/dist/engine/warp.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'nestjs-warp/dist/index.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'nestjs-warp/package.json': 'ok',
    });
  });

  it('resolves nestjs-warp/testing: the contract suites and createWarpCluster, whose nodes see each other\'s writes', async () => {
    const { exports, read } = await runApp(app, 'testing.mjs');
    assert.deepEqual(exports, ['busContract', 'cacheContract', 'createWarpCluster', 'eventually', 'lockerContract', 'storeContract']);
    assert.equal(read, 'Ada');
  });

  it('runs the store contract suite of nestjs-warp/testing with node --test, as the README shows', async () => {
    // A failing test makes `node --test` exit non-zero, which rejects `run`. NODE_TEST_CONTEXT is
    // this runner's: without removing it, the child would report to it instead of printing.
    const { stdout } = await run(process.execPath, ['--test', '--test-reporter=tap', 'store-contract.test.mjs'], app, { NODE_TEST_CONTEXT: undefined });
    assert.match(stdout, /^# fail 0$/m);
    assert.match(stdout, /^# pass [1-9]\d*$/m);
  });

  it('runs on Redis: writes through RedisStore, caches in RedisCache, locks with RedisLocker, publishes on RedisBus', { skip: skipRedis }, async () => {
    // Every key goes under the run's prefix, which it deletes after the file.
    const { value, stored } = await runApp(app, 'redis.mjs', { WARP_PREFIX: redis.prefix, WARP_NAMESPACE: `packed-${randomUUID().slice(0, 8)}` });
    assert.equal(value, 'hello from redis');
    assert.equal(stored, '"hello from redis"');
    assert.equal(await redis.client().exists(`${redis.prefix}store:greeting`), 1);
  });
});
