#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's test runner and ends with one plain
// summary line ("Tests: N passed, N failed, N skipped") that CI and people read.
// Usage: node scripts/run-tests.mjs [path ...]   (default: build/test)
import { spawn } from 'node:child_process';

const targets = process.argv.slice(2);
const args = ['--test', '--test-reporter=spec', '--test-timeout=120000', ...(targets.length ? targets : ['build/test'])];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });

const counts = { pass: 0, fail: 0, skipped: 0 };
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4096);
});
child.on('close', (code) => {
  for (const name of Object.keys(counts)) {
    const match = tail.match(new RegExp(`ℹ ${name} (\\d+)`));
    if (match) counts[name] = Number(match[1]);
  }
  console.log(`\nTests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped`);
  process.exit(code ?? 1);
});
