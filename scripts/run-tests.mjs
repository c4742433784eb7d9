#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's test runner and ends with how long
// each of the slowest files took, then one plain summary line ("Tests: N passed, N failed,
// N skipped") that CI and people read. Every file's time goes to build/test-durations.json.
// Usage: node scripts/run-tests.mjs [path ...]   (default: build/test)
// Files run in parallel, each in its own process: TEST_CONCURRENCY (default 4) of them at once.
// Most of a test's time is spent waiting (timers, child processes, Redis), so more files than
// cores keeps the cores busy; every test owns its namespace, key prefix, channel and ports.
//
// Files start in name order, which spreads the CPU-heavy ones (e2e/ process clusters, integration/
// Redis floods, unit/docs type-checking) over the run. Longest-first was measured and is slower on
// a 2-core machine: it starts the four heaviest files together, and they slow each other down
// (whole suite 61-62 s against 55.8 s in name order, load average 3-5).
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** How many of the slowest files the report lists. */
const REPORTED = 15;

// Node 20 treats every .js file under a "test" folder as a test file, fixtures included: list
// the *.test.js files explicitly instead.
function testFiles(path) {
  if (!statSync(path).isDirectory()) return [resolve(path)];
  return readdirSync(path, { recursive: true })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => resolve(path, name));
}

/** A file's name in the report: its path under build/, as in the repository (test/e2e/x.test.js). */
const keyOf = (file) => relative(join(ROOT, 'build'), file);

const targets = process.argv.slice(2);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 4);
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`TEST_CONCURRENCY must be a positive integer, got ${process.env.TEST_CONCURRENCY}`);

const files = [...new Set((targets.length ? targets : ['build/test']).flatMap(testFiles))].sort();

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
const loadAtStart = load();
const started = performance.now();
const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const durations = new Map();
// The file-level timeout is the runner's: a file that hangs fails after 2 minutes.
const stream = run({ files, concurrency, timeout: 120_000 });
stream.on('test:complete', (data) => {
  if (data.nesting === 0 && data.name === data.file) durations.set(data.file, data.details.duration_ms);
});
// The run's totals come last, as diagnostics of the root ("pass 12").
stream.on('test:diagnostic', (data) => {
  const match = /^(pass|fail|cancelled|skipped|todo) (\d+)$/.exec(data.message);
  if (data.nesting === 0 && match) counts[match[1]] = Number(match[2]);
});
for await (const chunk of stream.compose(new spec())) process.stdout.write(chunk);

const wall = (performance.now() - started) / 1000;
const slowest = [...durations].sort((a, b) => b[1] - a[1]);
console.log(`\nSlowest files (${Math.min(REPORTED, slowest.length)} of ${slowest.length}, ${concurrency} at a time):`);
for (const [file, ms] of slowest.slice(0, REPORTED)) console.log(`${(ms / 1000).toFixed(1).padStart(7)} s  ${keyOf(file)}`);
console.log(`Wall: ${wall.toFixed(1)} s; load average ${loadAtStart} at the start, ${load()} at the end`);
// Every file's time, for a closer look: build/test-durations.json (this run only).
const thisRun = Object.fromEntries(slowest.map(([file, ms]) => [keyOf(file), Math.round(ms / 100) / 10]));
mkdirSync(join(ROOT, 'build'), { recursive: true });
writeFileSync(join(ROOT, 'build/test-durations.json'), `${JSON.stringify({ wallSeconds: Math.round(wall * 10) / 10, concurrency, loadAtStart, loadAtEnd: load(), files: thisRun }, null, 2)}\n`);
const todo = counts.todo > 0 ? `, ${counts.todo} todo` : '';
// A test cancelled because its suite's hook failed did not pass: it counts as failed.
const failed = counts.fail + counts.cancelled;
console.log(`\nTests: ${counts.pass} passed, ${failed} failed, ${counts.skipped} skipped${todo}`);
process.exitCode = failed > 0 || durations.size < files.length ? 1 : 0;
