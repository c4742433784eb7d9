#!/usr/bin/env node
// Lists the longest functions and methods under lib/ (TypeScript compiler API), longest first.
// Usage: node scripts/longest-functions.mjs [count]   (default 15)
import ts from 'typescript';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
const files = execSync("git ls-files 'lib/**/*.ts' 'lib/*.ts'", { encoding: 'utf8' }).trim().split('\n');
const out = [];
for (const f of files) {
  const src = ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n, cls) => {
    if (ts.isClassDeclaration(n)) cls = n.name?.text ?? cls;
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n)) && n.body) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.end).line;
      let name = n.name?.getText?.() ?? (ts.isConstructorDeclaration(n) ? 'constructor' : (ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : ts.isPropertyDeclaration(n.parent) ? n.parent.name.getText() : '<anon>'));
      out.push([b - a + 1, `${f}:${a + 1} ${cls ? cls + '.' : ''}${name}`]);
    }
    ts.forEachChild(n, (c) => visit(c, cls));
  };
  visit(src);
}
out.sort((x, y) => y[0] - x[0]);
for (const [n, s] of out.slice(0, +(process.argv[2] ?? 15))) console.log(String(n).padStart(4), s);
