import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs from build/test/unit/docs. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** `<!-- snippet: path -->` right before a fenced code block: the block must be that file. */
const SNIPPET = /<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g;

/** What users import (`nestjs-warp`) is what the repository's files import from its barrel. */
function asPublished(source: string): string {
  return source.replace(/'(?:\.\.\/)+lib\/index\.js'/g, "'nestjs-warp'").trimEnd();
}

describe('code in the docs that names its file', () => {
  const docs = readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md'));
  const snippets = docs.flatMap((doc) =>
    [...readFileSync(`${ROOT}docs/${doc}`, 'utf8').matchAll(SNIPPET)].map(([, path, code]) => ({ doc, path, code })),
  );

  it('finds the tested adapters of the store page', () => {
    const paths = snippets.filter(({ doc }) => doc === 'store.md').map(({ path }) => path);
    assert.deepEqual(paths.sort(), [
      'test/helpers/store-adapters/pg-kv.store.ts',
      'test/helpers/store-adapters/user.entity.ts',
      'test/helpers/store-adapters/user.store.ts',
    ]);
  });

  for (const { doc, path, code } of snippets) {
    it(`docs/${doc} shows ${path} word for word`, () => {
      assert.equal(code, asPublished(readFileSync(`${ROOT}${path}`, 'utf8')));
    });
  }
});
