#!/usr/bin/env node
/**
 * Scores the migration guard against the hand-labelled corpus (labels.tsv).
 *
 *   node scripts/migration-corpus/score.mjs [corpus-dir] [--labels labels-heldout.tsv] [--misses] [--json]
 *
 * corpus-dir (default $MIGRATION_CORPUS or ../i16-corpus next to the work tree) holds the
 * migration folders of the repositories in sources.tsv at the commits named there, laid out as
 * <owner>/<repo>/<path> — the third-party files are never committed here; fetch.sh rebuilds it.
 *
 * Each labelled file is judged the way a deploy sees it: every earlier migration of its folder
 * (in run order) is in the live release, the file itself is the release's new migration. The
 * verdict is `destructive` when a finding is destructive, else `cannot-vouch` when one is, else
 * `safe`. Precision and recall are for `destructive`; "flagged" recall also counts a destructive
 * file shown as cannot-vouch (it is listed, though it does not stop the deploy).
 */
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const args = process.argv.slice(2);
const labelsAt = args.indexOf('--labels');
const labelsFile = labelsAt >= 0 ? args[labelsAt + 1] : 'labels.tsv';
const corpus = args.find((a, i) => !a.startsWith('--') && i !== labelsAt + 1) ?? process.env.MIGRATION_CORPUS ?? join(root, '../i16-corpus');
const showMisses = args.includes('--misses');

async function loadScanner() {
  const out = mkdtempSync(join(tmpdir(), 'mg-score-'));
  const file = join(out, 'migrations.mjs');
  await build({ entryPoints: [join(root, 'src/migrations/index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'warning' });
  const mod = await import(pathToFileURL(file).href);
  rmSync(out, { recursive: true, force: true });
  return mod;
}

function readLabels() {
  const rows = [];
  for (const line of readFileSync(join(here, labelsFile), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [id, framework, label, reason] = line.split('\t');
    rows.push({ id, framework, label, reason });
  }
  return rows;
}

function filesIn(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesIn(p, ext));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

function verdictOf(findings) {
  const open = findings.filter((f) => !f.allowed);
  if (open.some((f) => f.verdict === 'destructive')) return 'destructive';
  if (open.some((f) => f.verdict === 'cannot-vouch')) return 'cannot-vouch';
  return 'safe';
}

const { scanMigrations, sortMigrationPaths } = await loadScanner();
const labels = readLabels();
const folders = new Map();
const results = [];
for (const row of labels) {
  const abs = join(corpus, row.id);
  // the migration sequence: the file's folder, or for per-driver SQL the whole driver folder
  // (ezpublish keeps one folder per version under update/database/mysql/; its unstable/ interim
  // snapshots repeat the stable files and are left out)
  const driver = /^(.*?\/(?:mysql|postgres|postgresql|pgsql|sqlite)\/)/.exec(row.id)?.[1];
  const folder = driver && row.id.endsWith('.sql') ? join(corpus, driver) : dirname(abs);
  const ext = row.id.endsWith('.sql') ? '.sql' : '.php';
  let ordered = folders.get(folder);
  if (!ordered) {
    // the migration folder: Laravel/Doctrine folders as a whole, SQL per driver folder
    const rels = filesIn(folder, ext).map((p) => relative(corpus, p)).filter((p) => !p.includes('/unstable/'));
    folders.set(folder, (ordered = sortMigrationPaths(rels)));
  }
  const upTo = ordered.slice(0, ordered.indexOf(row.id) + 1);
  const files = upTo.map((path) => ({ path, text: readFileSync(join(corpus, path), 'utf8') }));
  const findings = scanMigrations(files, { inRelease: (p) => p === row.id }).filter((f) => f.path === row.id);
  results.push({ ...row, predicted: verdictOf(findings), findings });
}

function metrics(rs) {
  const tp = rs.filter((r) => r.label === 'destructive' && r.predicted === 'destructive').length;
  const fn = rs.filter((r) => r.label === 'destructive' && r.predicted !== 'destructive').length;
  const fp = rs.filter((r) => r.label !== 'destructive' && r.predicted === 'destructive').length;
  const flagged = rs.filter((r) => r.label === 'destructive' && r.predicted !== 'safe').length;
  const pos = tp + fn;
  const unsureOnSafe = rs.filter((r) => r.label === 'safe' && r.predicted === 'cannot-vouch').length;
  const safe = rs.filter((r) => r.label === 'safe').length;
  const fmt = (n, d) => (d === 0 ? '–' : (n / d).toFixed(2));
  return {
    files: rs.length,
    destructive: pos,
    tp,
    fn,
    fp,
    precision: fmt(tp, tp + fp),
    recall: fmt(tp, pos),
    flaggedRecall: fmt(flagged, pos),
    cannotVouchOnSafe: `${unsureOnSafe}/${safe}`,
  };
}

const frameworks = ['laravel', 'doctrine', 'sql'];
const table = [...frameworks.map((f) => [f, metrics(results.filter((r) => r.framework === f))]), ['all', metrics(results)]];
if (args.includes('--json')) {
  console.log(JSON.stringify(Object.fromEntries(table), null, 2));
} else {
  console.log('| framework | files | destructive | caught | missed | false alarms | precision | recall | recall incl. cannot-vouch | safe shown as cannot-vouch |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, m] of table) {
    console.log(`| ${name} | ${m.files} | ${m.destructive} | ${m.tp} | ${m.fn} | ${m.fp} | ${m.precision} | ${m.recall} | ${m.flaggedRecall} | ${m.cannotVouchOnSafe} |`);
  }
}
if (!args.includes('--json')) {
  const kinds = ['destructive', 'cannot-vouch', 'safe'];
  console.log('\n| label \\ predicted | destructive | cannot-vouch | safe |');
  console.log('|---|---|---|---|');
  for (const l of kinds) console.log(`| ${l} | ${kinds.map((p) => results.filter((r) => r.label === l && r.predicted === p).length).join(' | ')} |`);
}
if (showMisses) {
  const line = (r) => `${r.id}\n    label ${r.label} (${r.reason}); predicted ${r.predicted}${r.findings.length ? '' : ' (no findings)'}\n${r.findings.map((f) => `    ${f.line}: ${f.rule} [${f.verdict}] ${f.statement.slice(0, 110)}`).join('\n')}`;
  console.log('\nMissed (labelled destructive, not predicted destructive):');
  for (const r of results.filter((x) => x.label === 'destructive' && x.predicted !== 'destructive')) console.log(line(r));
  console.log('\nFalse alarms (predicted destructive, labelled otherwise):');
  for (const r of results.filter((x) => x.label !== 'destructive' && x.predicted === 'destructive')) console.log(line(r));
  console.log('\nCannot vouch on files labelled safe:');
  for (const r of results.filter((x) => x.label === 'safe' && x.predicted === 'cannot-vouch')) console.log(line(r));
}
