import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

// The smoke size, named explicitly: `--smoke` (a handful of iterations per case, no GC) of the
// in-process local suite only. The suites that start node processes (distributed, strong, memory,
// and any added later) take seconds each even when quick: `npm run bench` runs them.
const ARGS = ['--smoke', '--only', 'local'];

describe('bench smoke run', () => {
  it('runs the smoke-sized local benchmark to completion and prints its tables and targets', async () => {
    const child = spawn(process.execPath, [RUN, ...ARGS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, `bench exited with ${String(code)}:\n${stderr}`);
    assert.match(stdout, /### L1 hit: get/);
    assert.match(stdout, /\| Warp \(EventualDistributed\)/);
    assert.match(stdout, /### @WarpKey decorated hit vs WarpService\.get/);
    assert.match(stdout, /### Targets \(issue 7\)/);
  });
});
