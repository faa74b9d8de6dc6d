#!/usr/bin/env node
// The function-length rule: no function in src/ longer than 80 lines without a written reason.
//
//   node scripts/function-lengths.mjs [--max N] [--all]
//
// Lists every function over the limit in src/**/*.ts (declarations, methods, arrow functions and
// function expressions, found with the TypeScript parser) and src/remote/modules/*.sh (`name() {` …
// `}`), with its length. A function may be longer when the comment directly above it says why:
// `// long: <reason>` (TypeScript; inside or next to its doc comment) or `# long: <reason>` (bash).
// Exits 1 when a long function has no reason. --all also lists the functions under the limit that
// carry a reason no longer needed. Run by scripts/test.sh.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REASON = /^\s*(?:\/\/|#|\/?\*+)\s*long:\s*\S/;

function parseArgs(argv) {
  const o = { max: 80, all: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max') o.max = Number(argv[++i]);
    else if (argv[i] === '--all') o.all = true;
    else {
      process.stderr.write(`function-lengths: unknown option ${argv[i]} (usage: [--max N] [--all])\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.max) || o.max < 1) {
    process.stderr.write('function-lengths: --max takes a whole number\n');
    process.exit(2);
  }
  return o;
}

function filesUnder(dir, ext) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** The reason written in the comment lines directly above line `first` (0-based), or undefined. */
function reasonAbove(lines, first, isComment) {
  for (let i = first - 1; i >= 0 && isComment(lines[i]); i--) {
    if (!REASON.test(lines[i])) continue;
    // The reason, with the line comments that continue it.
    const text = [lines[i].replace(/^.*?long:\s*/, '')];
    for (let j = i + 1; j < first && /^\s*(\/\/|#)(?!\s*long:)/.test(lines[j]); j++) text.push(lines[j].replace(/^\s*(\/\/|#)\s*/, ''));
    return text.join(' ').replace(/\s*\*\/\s*$/, '');
  }
  return undefined;
}

/** A name for a function node: its own, or that of what it is assigned to. */
function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return p.name.getText(sf);
  if (p && (ts.isCallExpression(p) || ts.isNewExpression(p))) return `(callback of ${ts.isNewExpression(p) ? 'new ' : ''}${p.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

/** The node whose first line the reason comment sits above: the statement a function value is part of. */
function anchorOf(node) {
  let n = node;
  while (n.parent && (ts.isVariableDeclaration(n.parent) || ts.isVariableDeclarationList(n.parent) || ts.isVariableStatement(n.parent) || ts.isPropertyAssignment(n.parent) || ts.isPropertyDeclaration(n.parent) || ts.isExportAssignment(n.parent))) n = n.parent;
  return n;
}

function tsFunctions(file) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const isComment = (l) => l !== undefined && /^\s*(\/\/|\/\*|\*)/.test(l);
  const out = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const anchor = sf.getLineAndCharacterOfPosition(anchorOf(node).getStart(sf)).line;
      out.push({ file, line: first + 1, end: last + 1, name: nameOf(node, sf), length: last - first + 1, reason: reasonAbove(lines, anchor, isComment) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // A function that is all but the whole body of another (the executor of `return new Promise(…)`)
  // is covered by the reason of the one it fills.
  for (const f of out) {
    if (f.reason) continue;
    const outer = out.find((o) => o !== f && o.reason && o.line <= f.line && o.end >= f.end && o.length - f.length <= 5);
    if (outer) f.reason = `(the body of ${outer.name}, see there)`;
  }
  return out;
}

function shFunctions(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const isComment = (l) => l !== undefined && /^\s*#/.test(l);
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{(.*)$/.exec(lines[i]);
    if (!m) continue;
    let end = i;
    if (!/\}\s*(#.*)?$/.test(m[2])) {
      end = lines.findIndex((l, j) => j > i && /^\}\s*$/.test(l));
      if (end < 0) end = lines.length - 1;
    }
    out.push({ file, line: i + 1, end: end + 1, name: m[1], length: end - i + 1, reason: reasonAbove(lines, i, isComment) });
    i = end;
  }
  return out;
}

const o = parseArgs(process.argv.slice(2));
const fns = [
  ...filesUnder(join(ROOT, 'src'), '.ts').flatMap(tsFunctions),
  ...filesUnder(join(ROOT, 'src/remote/modules'), '.sh').flatMap(shFunctions),
];
let missing = 0;
for (const f of fns) {
  const where = `${relative(ROOT, f.file)}:${f.line} ${f.name} (${f.length} lines)`;
  if (f.length > o.max) {
    if (f.reason) console.log(`long    ${where}: ${f.reason}`);
    else {
      console.log(`TOO LONG ${where}: split it, or say why above it (${f.file.endsWith('.sh') ? '#' : '//'} long: <reason>)`);
      missing++;
    }
  } else if (o.all && f.reason) console.log(`short   ${where} has a "long:" reason it no longer needs`);
}
if (missing > 0) {
  console.error(`function-lengths: ${missing} function(s) in src/ over ${o.max} lines without a reason`);
  process.exit(1);
}
