// Checks the license of every package in the dependency tree (package-lock.json, read from the
// installed package.json where there is one). Exit 1 names each package whose license is not
// permissive, or that states none and has no reviewed entry below.
//
// Everything that dist/ bundles (and so ships to users) must be permissive. Tools used only to build
// and test may also be MPL-2.0 (file-level copyleft; used unmodified, never shipped).
//
//   node scripts/check-licenses.mjs           check, print one line per license
//   node scripts/check-licenses.mjs --list    also print every package with its license
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PERMISSIVE = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'CC-BY-3.0',
  'CC-BY-4.0',
  'Unlicense',
  'Python-2.0',
  'Zlib',
]);
/** Allowed for build and test tools only (never bundled into dist/). */
const DEV_ONLY = new Set(['MPL-2.0']);
/** Old spellings seen in package.json files, mapped to SPDX ids. */
const ALIASES = { 'MIT/X11': 'MIT', 'Apache 2.0': 'Apache-2.0', 'BSD': 'BSD-3-Clause', 'Public Domain': 'Unlicense' };
/** Packages whose package.json states no usable license, reviewed by hand. */
const REVIEWED = {
  // substack's node-buffers: the package.json has no license field; the author's packages of that
  // time (binary, chainsaw, traverse) are MIT/X11. Reached through @actions/artifact → unzip-stream.
  buffers: 'MIT',
  // The README: "released as public-domain ... Anybody can modify or re-license it". Used by azurite (tests).
  'uri-templates': 'Unlicense',
};

/** SPDX expression → is every alternative / conjunct allowed? Handles OR, AND and parentheses. */
export function allowed(expr, ok) {
  const tokens = expr.replace(/[()]/g, ' $& ').split(/\s+/).filter(Boolean);
  let i = 0;
  const primary = () => {
    const t = tokens[i++];
    if (t === '(') {
      const v = or();
      i++; // ')'
      return v;
    }
    return ok(ALIASES[t] ?? t.replace(/\+$/, ''));
  };
  const and = () => {
    let v = primary();
    while (tokens[i] === 'AND') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = () => {
    let v = and();
    while (tokens[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  return or();
}

function licenseOf(dir, lockEntry, name) {
  let pkg = {};
  const file = join(dir, 'package.json');
  if (existsSync(file)) pkg = JSON.parse(readFileSync(file, 'utf8'));
  let lic = pkg.license ?? lockEntry.license;
  if (lic && typeof lic === 'object') lic = lic.type;
  if (!lic && Array.isArray(pkg.licenses)) lic = pkg.licenses.map((l) => l.type ?? l).join(' OR ');
  if (!lic || /^https?:/.test(lic) || /^SEE LICENSE/i.test(lic)) lic = REVIEWED[name];
  return lic;
}

function main() {
  const root = process.cwd();
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  // What dist/ bundles, from its notices; without them (no bundle yet) every package counts as shipped.
  const notices = join(root, 'dist/THIRD_PARTY_NOTICES.txt');
  const known = existsSync(notices);
  const bundled = new Set(known ? [...readFileSync(notices, 'utf8').matchAll(/^=+\n(\S+) /gm)].map((m) => m[1]) : []);
  const bad = [];
  const counts = new Map();
  const list = process.argv.includes('--list');
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.link) continue;
    const name = entry.name ?? path.replace(/^.*node_modules\//, '');
    const lic = licenseOf(join(root, path), entry, name);
    const ships = !known || bundled.has(name) || !entry.dev;
    const ok = lic !== undefined && allowed(lic, (id) => PERMISSIVE.has(id) || (!ships && DEV_ONLY.has(id)));
    counts.set(lic ?? '(none)', (counts.get(lic ?? '(none)') ?? 0) + 1);
    if (list) console.log(`${name}@${entry.version ?? '?'}: ${lic ?? '(none)'}${ships ? ' [shipped]' : ''}`);
    if (!ok) {
      bad.push(`${name}@${entry.version ?? '?'} (${path}): ${lic ?? 'no license stated'}${ships ? ', shipped in dist/ or installed with the package' : ''}`);
    }
  }
  for (const [lic, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(5)}  ${lic}`);
  if (bad.length > 0) {
    console.error(`licenses: ${bad.length} package(s) without a permissive license:\n  ${bad.join('\n  ')}`);
    console.error('Replace the dependency, or review its license and add it to REVIEWED in scripts/check-licenses.mjs.');
    if (!known) console.error('(dist/THIRD_PARTY_NOTICES.txt is missing, so every package counted as shipped: run npm run bundle first)');
    process.exit(1);
  }
  console.log(`licenses: all ${[...counts.values()].reduce((a, b) => a + b, 0)} packages permissive`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
