import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

// The public API (every declaration each entry point of package.json `exports` gives users) is
// recorded in api/nestjs-warp.api.md; a change to it must come with `npm run api:update`, so it
// shows in review. Reads build/lib, which `npm test` has just compiled.
it('api/nestjs-warp.api.md matches the public API of lib/', async () => {
  try {
    await promisify(execFile)(process.execPath, ['scripts/api-report.mjs'], { cwd: ROOT });
  } catch (error) {
    assert.fail((error as { stderr?: string }).stderr || String(error));
  }
});
