#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's test runner and ends with one plain
// summary line ("Tests: N passed, N failed, N skipped") that CI and people read.
// Usage: node scripts/run-tests.mjs [path ...]   (default: build/test)
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
const args = ['--test', '--test-reporter=spec', '--test-timeout=120000', ...files];
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
