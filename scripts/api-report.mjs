#!/usr/bin/env node
// The public API report: every name each entry point of package.json `exports` gives users, with
// its declaration as the compiler emits it for dist/*.d.ts (comments removed, members sorted as
// written), in api/nestjs-warp.api.md. Reviewers see each change to the surface as a diff there.
//
//   node scripts/api-report.mjs          checks the report against lib/ (exit 1 when it differs)
//   node scripts/api-report.mjs --update rewrites the report (npm run api:update)
//
// The declarations are those of a build newer than lib/ (dist/ or build/lib/), else emitted in
// memory from lib/ with tsconfig.build.json, so the check never reads a stale build.
// test/unit/api/api-report.test.ts runs the check in `npm test`. Moving code between files of lib/ changes nothing here;
// adding, removing or changing an exported name or a member of an exported type does.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(ROOT, 'api/nestjs-warp.api.md');

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** Entry points: subpath -> dist/…d.ts, from package.json `exports` (package.json itself excluded). */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([subpath, target]) => [subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(ROOT, target.types)]);

/** The newest modification time of the .ts files under lib/. */
function newestSource() {
  return Math.max(...readdirSync(join(ROOT, 'lib'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => statSync(join(ROOT, 'lib', f)).mtimeMs));
}

/**
 * The declarations of a build newer than the last change to lib/ (dist/ from `npm run build`, or
 * build/lib/ from `npm run build:all`, which `npm test` runs first: ~2 s), read as dist/; else the
 * same declarations emitted in memory (~20 s of CPU).
 */
function declarations() {
  const newest = newestSource();
  for (const dir of ['dist', 'build/lib']) {
    const built = statSync(join(ROOT, dir, 'index.d.ts'), { throwIfNoEntry: false });
    if (built === undefined || built.mtimeMs < newest) continue;
    const files = new Map();
    for (const name of readdirSync(join(ROOT, dir), { recursive: true }).map(String).filter((f) => f.endsWith('.d.ts'))) {
      files.set(join(ROOT, 'dist', name), readFileSync(join(ROOT, dir, name), 'utf8'));
    }
    return { files, options: parseConfig().options };
  }
  return emitDeclarations();
}

function parseConfig() {
  return ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(d) });
}

function emitDeclarations() {
  const config = parseConfig();
  const options = { ...config.options, declaration: true, emitDeclarationOnly: true, noEmit: false, sourceMap: false, declarationMap: false };
  const program = ts.createProgram(config.fileNames, options);
  const files = new Map();
  // Type errors are tsc's to report (npm run lint runs it); a declaration emit that fails is ours.
  const { emitSkipped, diagnostics } = program.emit(undefined, (name, text) => files.set(resolve(name), text), undefined, true);
  if (emitSkipped) fail(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' }));
  return { files, options };
}

function fail(message) {
  console.error(typeof message === 'string' ? message : ts.flattenDiagnosticMessageText(message.messageText, '\n'));
  process.exit(2);
}

function render() {
  const { files, options } = declarations();
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, directoryExists } = host;
  // build/lib read as dist/: dist/ itself may not exist on disk, its folders are the map's.
  const folders = new Set([...files.keys()].flatMap((file) => file.split('/').slice(1, -1).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`)));
  host.fileExists = (name) => files.has(resolve(name)) || fileExists.call(host, name);
  host.directoryExists = (name) => folders.has(resolve(name)) || (directoryExists?.call(host, name) ?? false);
  host.readFile = (name) => files.get(resolve(name)) ?? readFile.call(host, name);
  const program = ts.createProgram(entries.map(([, file]) => file), { ...options, noEmit: true }, host);
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

  const sections = [];
  for (const [name, file] of entries) {
    const source = program.getSourceFile(file);
    if (!source) fail(`${file}: not emitted; is it under lib/?`);
    const lines = [];
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)).sort((a, b) => a.name.localeCompare(b.name));
    const shown = new Set(exports.map((exported) => (exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported)));
    for (const exported of exports) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        lines.push(print(declaration, exported.name, printer));
        lines.push(...unexportedBases(declaration, exported.name, checker, shown, printer));
      }
    }
    sections.push(`## ${name}\n\n\`\`\`ts\n${lines.join('\n\n')}\n\`\`\`\n`);
  }
  return `# API report: ${pkg.name}\n\n` +
    'Generated by `npm run api:update` (scripts/api-report.mjs) from the declarations of lib/; `npm test` fails\n' +
    '(test/unit/api/api-report.test.ts) while this file differs from them. Review a change here as a change to what users can import.\n\n' +
    sections.join('\n');
}

/**
 * The base classes of an exported class that are not exported by name: their public members are
 * the class's API too (`Warp`'s `lock()`, `status()`, ...), so they are printed after it.
 */
function unexportedBases(declaration, exportedName, checker, shown, printer) {
  if (!ts.isClassDeclaration(declaration)) return [];
  const lines = [];
  for (const clause of declaration.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    for (const base of clause.types) {
      let symbol = checker.getSymbolAtLocation(base.expression);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      // Only the package's own classes: Error, EventEmitter and the like are not its API.
      if (!symbol || shown.has(symbol) || !(symbol.declarations ?? []).some((d) => d.getSourceFile().fileName.startsWith(`${ROOT}/dist/`))) continue;
      shown.add(symbol);
      for (const baseDeclaration of symbol.declarations ?? []) {
        const name = ts.getNameOfDeclaration(baseDeclaration)?.getText(baseDeclaration.getSourceFile()) ?? '?';
        lines.push(`/* base class of ${exportedName}, not exported by name */ ${print(baseDeclaration, name, printer)}`);
        lines.push(...unexportedBases(baseDeclaration, name, checker, shown, printer));
      }
    }
  }
  return lines;
}

/** The declaration as emitted in the .d.ts, under its exported name, without comments. */
function print(declaration, exportedName, printer) {
  const source = declaration.getSourceFile();
  let node = declaration;
  if (ts.isClassDeclaration(declaration)) {
    // Private members are no one's API; the emitted .d.ts lists them only by name.
    const isPrivate = (member) => (member.name && ts.isPrivateIdentifier(member.name)) || ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private;
    node = ts.factory.updateClassDeclaration(declaration, declaration.modifiers, declaration.name, declaration.typeParameters, declaration.heritageClauses, declaration.members.filter((member) => !isPrivate(member)));
  } else if (ts.isVariableDeclaration(declaration)) {
    node = ts.factory.createVariableStatement([ts.factory.createModifier(ts.SyntaxKind.DeclareKeyword)], ts.factory.createVariableDeclarationList([declaration], declaration.parent.flags & ts.NodeFlags.BlockScoped));
  }
  let text = printer.printNode(ts.EmitHint.Unspecified, node, source).replace(/^export (declare )?/, '').replace(/^declare /, '');
  const local = ts.getNameOfDeclaration(declaration)?.getText(source);
  if (local !== undefined && local !== exportedName) text = `/* exported as ${exportedName} */ ${text}`;
  return text;
}

const report = render();
if (process.argv.includes('--update')) {
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, report);
  console.log(`api-report: wrote ${REPORT.slice(ROOT.length + 1)}`);
} else {
  let current = '';
  try {
    current = readFileSync(REPORT, 'utf8');
  } catch {
    // missing: reported below as a difference
  }
  if (current !== report) {
    const have = current.split('\n');
    const want = report.split('\n');
    const at = want.findIndex((line, i) => line !== have[i]);
    console.error(`api-report: api/nestjs-warp.api.md differs from lib/'s public API (first at line ${at + 1}:\n  report: ${have[at] ?? '(end)'}\n  lib/:   ${want[at] ?? '(end)'})`);
    console.error('Run `npm run api:update` and review the diff: it is the change to the public API.');
    process.exit(1);
  }
  console.log('api-report: api/nestjs-warp.api.md matches lib/');
}
