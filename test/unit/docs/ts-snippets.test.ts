import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every ```ts / ```typescript block of README.md and docs/*.md is type-checked, in one TypeScript
 * program, against the BUILT package (this build's lib/ types as its dist/, imported as 'nestjs-warp' through its
 * package.json `exports`, as an installed copy would be), so a renamed or removed export, option
 * or method fails here until the docs follow.
 *
 * Conventions, so that fragments compile without boilerplate in the docs:
 * - A name a block uses without importing or declaring it is imported for it from 'nestjs-warp'
 *   when the package root exports it, else from '@nestjs/common' when that exports it (the
 *   imports every Nest page leaves out). Anything else must be imported or declared in the block,
 *   or be one of the app placeholders of `CONTEXT` below.
 * - `<!-- snippet: path -->` before a block: the block is that repository file, compared word for
 *   word by doc-snippets.test.ts and compiled with the repository; not compiled twice here.
 * - `<!-- snippet: skip (why) -->` before a block: not compiled. Keep these few and say why.
 * - An import from a relative path (`./user.store.js`: the reader's own module) or from one of
 *   `APP_PACKAGES` (packages an app has and this repository does not install) gets a stub module
 *   whose imported names are `any`, as values and as types. Every other import must resolve.
 */

/** The repository root: this file runs from build/test/unit/docs. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where the blocks are written, with a node_modules/nestjs-warp link to the repository. */
const WORK = `${ROOT}build/doc-snippets/`;

/** A fenced block, indented or not (inside a list item): marker, indent, code. */
const BLOCK = /(?:<!-- snippet: ([^\n]*?) -->\n)?^( *)```(?:ts|typescript)\n([\s\S]*?)\n\2```/gm;

/**
 * App-level placeholders the docs use as "your code" (a repository, a client you own). Declared,
 * not invented per page: a block declaring its own version of a name shadows this one.
 */
const CONTEXT = `
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
declare global {
  /** Your ioredis client. */
  const redis: Redis;
  /** Your PostgreSQL pool. */
  const pool: Pool;
  /** The WarpService you injected (\`constructor(private readonly warp: WarpService)\`). */
  const warp: import('nestjs-warp').WarpService;
  /** A TypeORM repository of yours. */
  const repository: Repository<{ id: string }>;
}
export {};
`;

/** Packages the docs import as an app would, which this repository does not install: stubbed. */
const APP_PACKAGES: ReadonlySet<string> = new Set(['@nestjs/typeorm', '@nestjs/schedule', 'msgpackr']);

/** Stub modules for a block's imports of the reader's own modules and of `APP_PACKAGES`: file -> names. */
function collectStubs(source: ts.SourceFile, stubs: Map<string, Set<string>>): void {
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const specifier = statement.moduleSpecifier.text;
    let file: string;
    if (specifier.startsWith('./')) file = `${WORK}${specifier.slice(2).replace(/\.js$/, '.ts')}`;
    else if (APP_PACKAGES.has(specifier)) file = `${WORK}node_modules/${specifier}/index.d.ts`;
    else continue;
    const names = stubs.get(file) ?? new Set<string>();
    stubs.set(file, names);
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add((element.propertyName ?? element.name).text);
  }
}

function writeStubs(stubs: Map<string, Set<string>>): void {
  for (const [file, names] of stubs) {
    mkdirSync(file.slice(0, file.lastIndexOf('/')), { recursive: true });
    const declarations = [...names].map((name) => `export declare const ${name}: any;\nexport type ${name} = any;`);
    writeFileSync(file, `${declarations.join('\n')}\nexport {};\n`);
    if (file.endsWith('/index.d.ts')) writeFileSync(file.replace(/index\.d\.ts$/, 'package.json'), JSON.stringify({ type: 'module', types: 'index.d.ts' }));
  }
}

interface Block {
  doc: string;
  line: number;
  marker?: string;
  code: string;
}

function blocksOf(doc: string): Block[] {
  const text = readFileSync(`${ROOT}${doc}`, 'utf8');
  return [...text.matchAll(BLOCK)].map((match) => ({
    doc,
    // The line of the block's first line of code.
    line: text.slice(0, match.index + match[0].indexOf('```')).split('\n').length + 1,
    marker: match[1],
    // An indented block's lines carry its fence's indent: dropped, as Markdown does.
    code: match[3]!.replace(new RegExp(`^ {0,${match[2]!.length}}`, 'gm'), ''),
  }));
}

/** Names a block imports or declares at its top level. */
function ownNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
      }
    } else if ('name' in statement && statement.name !== undefined && ts.isIdentifier(statement.name as ts.Node)) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};

/** Type errors of every checked block, by `doc:line`, from one program over all of them. */
function compileBlocks(checked: Block[]): Map<string, string[]> {
  // The package as installed: its package.json (`exports`) over `dist/` = this build's lib/
  // (what `npm test` just compiled, as the packed-tarball test packs it), so CI compiles once.
  const built = `${ROOT}build/lib/index.d.ts`;
  assert.ok(statSync(built, { throwIfNoEntry: false }), 'build/lib is missing: run `npm run build:all` first');

  rmSync(WORK, { recursive: true, force: true });
  const installed = `${WORK}node_modules/nestjs-warp/`;
  mkdirSync(installed, { recursive: true });
  writeFileSync(`${installed}package.json`, readFileSync(`${ROOT}package.json`));
  symlinkSync(`${ROOT}build/lib`, `${installed}dist`, 'dir');
  writeFileSync(`${WORK}package.json`, JSON.stringify({ type: 'module' }));
  writeFileSync(`${WORK}context.ts`, CONTEXT);

  // The names the package root and @nestjs/common export, read by the compiler from their types.
  const probe = `${WORK}probe.ts`;
  writeFileSync(probe, "import * as warp from 'nestjs-warp';\nimport * as nest from '@nestjs/common';\nexport { warp, nest };\n");
  const probeProgram = ts.createProgram([probe], OPTIONS);
  const checker = probeProgram.getTypeChecker();
  const exportsOf = (index: number): Set<string> => {
    const declaration = probeProgram.getSourceFile(probe)!.statements[index] as ts.ImportDeclaration;
    const symbol = checker.getSymbolAtLocation(declaration.moduleSpecifier);
    assert.ok(symbol, `cannot resolve ${declaration.moduleSpecifier.getText()}`);
    return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
  };
  const fromWarp = exportsOf(0);
  const fromNest = exportsOf(1);

  const files = new Map<string, string>();
  const errors = new Map<string, string[]>();
  const stubs = new Map<string, Set<string>>();
  checked.forEach((block, i) => {
    const source = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.ES2022);
    collectStubs(source, stubs);
    const own = ownNames(source);
    const used = new Set(block.code.match(/\b[A-Za-z_$][\w$]*\b/g));
    const warpNames = [...fromWarp].filter((name) => used.has(name) && !own.has(name));
    const nestNames = [...fromNest].filter((name) => used.has(name) && !own.has(name) && !fromWarp.has(name));
    // One line of imports, so the block's line n is the file's line n + 1.
    const prelude =
      (warpNames.length ? `import { ${warpNames.join(', ')} } from 'nestjs-warp'; ` : '') +
      (nestNames.length ? `import { ${nestNames.join(', ')} } from '@nestjs/common'; ` : '') +
      'export {};';
    const file = `${WORK}${block.doc.replace(/[/.]/g, '-')}-${block.line}-${i}.ts`;
    writeFileSync(file, `${prelude}\n${block.code}\n`);
    files.set(file, `${block.doc}:${block.line}`);
    errors.set(`${block.doc}:${block.line}`, []);
  });

  writeStubs(stubs);
  const program = ts.createProgram([`${WORK}context.ts`, ...files.keys()], OPTIONS, undefined, probeProgram);
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const where = diagnostic.file === undefined ? undefined : files.get(diagnostic.file.fileName);
    assert.ok(where !== undefined && diagnostic.start !== undefined, `outside the blocks: ${diagnostic.file?.fileName ?? '(program)'}: ${message}`);
    const [doc, line] = where.split(':') as [string, string];
    const { line: inFile } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    errors.get(where)!.push(`${doc}:${Number(line) + inFile - 1}: ${message}`);
  }
  return errors;
}

describe('TypeScript in README.md and docs/, against the built package', () => {
  const docs = ['README.md', ...readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
  const blocks = docs.flatMap(blocksOf);
  const checked = blocks.filter((block) => block.marker === undefined);
  const skipped = blocks.filter((block) => block.marker?.startsWith('skip'));
  let errors: Map<string, string[]>;
  before(() => {
    errors = compileBlocks(checked);
  });

  it('finds the blocks and skips only those marked with a reason', () => {
    assert.ok(checked.length >= 30, `only ${checked.length} blocks found`);
    for (const block of skipped) assert.match(block.marker!, /^skip \(.+\)$/, `${block.doc}:${block.line}: say why a block is skipped`);
    assert.ok(skipped.length <= 3, `${skipped.length} skipped blocks: compile them instead`);
  });

  for (const block of checked) {
    const where = `${block.doc}:${block.line}`;
    it(`${where} compiles`, () => {
      const problems = errors.get(where)!;
      assert.deepEqual(problems, [], `type errors:\n${problems.join('\n')}`);
    });
  }
});
