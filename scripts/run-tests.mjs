#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's test runner and ends with one plain
// summary line ("Tests: N passed, N failed, N skipped") that CI and people read.
// Usage: node scripts/run-tests.mjs [path ...]   (default: build/test)
// Files run in parallel, each in its own process: TEST_CONCURRENCY (default 4) of them at once.
// Most of a test's time is spent waiting (timers, child processes, Redis), so more files than
// cores keeps the cores busy; every test owns its namespace, key prefix, channel and ports.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Node 20 treats every .js file under a "test" folder as a test file, fixtures included: list
// the *.test.js files explicitly instead.
function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => join(path, name))
    .sort();
}

const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['build/test']).flatMap(testFiles);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 4);
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`TEST_CONCURRENCY must be a positive integer, got ${process.env.TEST_CONCURRENCY}`);
const args = ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });

const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
// The summary lines ("ℹ pass 12") are read as they stream by: the reporter may print long details
// of failed todo tests after them.
let partial = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk.toString()).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    const match = /^ℹ (pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line.trim());
    if (match) counts[match[1]] = Number(match[2]);
  }
});
child.on('close', (code) => {
  const todo = counts.todo > 0 ? `, ${counts.todo} todo` : '';
  // A test cancelled because its suite's hook failed did not pass: it counts as failed.
  console.log(`\nTests: ${counts.pass} passed, ${counts.fail + counts.cancelled} failed, ${counts.skipped} skipped${todo}`);
  process.exit(code ?? 1);
});
