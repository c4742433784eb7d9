import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

describe('bench smoke run', () => {
  it('runs the quick benchmark to completion and prints its tables', async () => {
    const child = spawn(process.execPath, [RUN, '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, `bench exited with ${String(code)}:\n${stderr}`);
    assert.match(stdout, /### L1 hit: get/);
    assert.match(stdout, /\| Warp \(EventualDistributed\)/);
    assert.match(stdout, /### @WarpKey decorated hit vs WarpService\.get/);
    assert.match(stdout, /### StrongDistributed set/);
    assert.match(stdout, /### Decorated reads: heap after \d+ distinct @WarpKey reads/);
    assert.match(stdout, /\| this build \S+, run 1 .* (PASS|FAIL)/);
    assert.match(stdout, /### Targets \(issue 7\)/);
  });
});
