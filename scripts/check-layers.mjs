#!/usr/bin/env node
// Checks the layering of lib/: a file may import from its own folder or from a folder of a lower
// layer, never from a higher one; and no two files import each other, directly or around a loop.
// Prints every violation and exits 1 if there is one. Usage: node scripts/check-layers.mjs
import madge from 'madge';

// Lowest first. Inside the ports-and-backends group each folder is its own layer, so the group
// has one direction too (a bus may use a locker, a locker never a bus).
const LAYERS = [
  ['common'], // envelope, hlc, keys, mode, registry, limits, errors, option checks
  ['codec', 'merge', 'metrics'], // ports and backends ...
  ['redis'],
  ['lock'],
  ['cache', 'store'],
  ['bus'],
  ['interfaces'], // option and result types over the ports
  ['cluster'], // membership, invalidations, acknowledgements, messages, channels
  ['lease', 'watch', 'versioned', 'validator'], // features
  ['engine'], // Warp, the components factory, read and write paths
  ['.', 'decorators', 'explorer', 'health', 'keyv'], // the Nest layer (files at lib/ are '.')
  ['testing'], // nestjs-warp/testing: contract suites and test helpers; nothing imports them
];
// The Nest layer follows Nest's own libraries (@nestjs/schedule, @nestjs/bullmq): lib/*.ts, the
// decorators and the explorer share lib/warp.constants.ts, so its folders may import each other.
const SHARED = new Set([LAYERS.findIndex((folders) => folders.includes('.'))]);

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((folder) => [folder, i])));
const folderOf = (file) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

const graph = await madge('lib', { fileExtensions: ['ts'], tsConfig: 'tsconfig.json' });
const violations = [];
for (const [file, deps] of Object.entries(graph.obj())) {
  const from = folderOf(file);
  if (!rank.has(from)) violations.push(`${file}: folder lib/${from} is in no layer of scripts/check-layers.mjs`);
  for (const dep of deps) {
    const to = folderOf(dep);
    if (to === from || !rank.has(to)) continue;
    const [a, b] = [rank.get(from), rank.get(to)];
    if (b < a || (a === b && SHARED.has(a))) continue;
    violations.push(`${file} -> ${dep}: lib/${from} may not import lib/${to} (${b === a ? 'same' : 'higher'} layer)`);
  }
}
for (const cycle of graph.circular()) violations.push(`circular: ${cycle.join(' -> ')}`);

for (const line of violations) console.error(line);
console.log(`check-layers: ${Object.keys(graph.obj()).length} files, ${violations.length} violations`);
process.exit(violations.length ? 1 : 0);
