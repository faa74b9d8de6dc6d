/**
 * The migration guard: before anything changes on a server, refuse migrations that would break
 * the release that is live now — it keeps serving while migrations run, and it is what a rollback
 * switches back to. Switching code back is instant; switching a database back is not. So
 * migrations must only add (expand); removing or renaming what the live release uses (contract)
 * belongs in a later release.
 *
 * Pure logic: the only I/O is reading the migration files named (scanMigrationFiles).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeployError, InputError } from '../errors.js';
import { driverSequence } from './discover.js';
import { sortMigrationPaths } from './glob.js';
import { applyMarkers, FILE_MARKER, FILE_MARKER_LINES, MARKER } from './markers.js';
import { evaluate, relaxes, tightens, type EvalContext, type Op } from './rules.js';
import { scanPhpMigration, scanSqlMigration } from './scan-php.js';
import { SchemaModel, type ColumnDef } from './schema.js';
import { LineIndex, type Finding, type LocatedHit } from './types.js';

export { DEFAULT_MIGRATION_GLOBS, findMigrationFiles, globToRegExp, matchesGlob, sortMigrationPaths } from './glob.js';
export { FILE_MARKER, MARKER } from './markers.js';
export { describeDiscovery, discoverMigrations, driverSequence, migrationClass, type Discovery } from './discover.js';
export { RULES, verdictOf, type RuleId, type Verdict } from './rules.js';
export { SchemaModel } from './schema.js';
export type { Finding } from './types.js';

export type GuardMode = 'forbid' | 'warn' | 'off';

export interface ScanOptions {
  /**
   * The migration belongs to the release being deployed (default true). False: it ran before
   * (it is part of the live release); it only teaches the schema model, and yields no findings.
   */
  inRelease?: boolean;
}

const NULLABILITY = new Set(['not-null', 'drop-default', 'add-column-not-null']);

/**
 * A later statement of the same migration gives the column a default or makes it nullable again
 * (`SET NOT NULL` then `SET DEFAULT ''`): inserts that leave it out work once the migration is done.
 */
function laterRelaxed(later: readonly Op[], target: { table?: string; column?: string } | undefined): boolean {
  if (!target || target.table === undefined || target.column === undefined) return false;
  return later.some((op) => {
    const r = relaxes(op);
    return r !== undefined && r.table === target.table && r.column === target.column;
  });
}

/**
 * Marks the tables a migration drops only to rebuild them: re-created under the same name (or a
 * new table renamed into place) later in the same migration, with rows copied in.
 */
function markRebuilds<T extends { op: Op }>(ops: readonly T[]): T[] {
  return ops.map((o, i) => {
    if (o.op.kind !== 'drop-table' || o.op.view) return o;
    const later = ops.slice(i + 1).map((x) => x.op);
    const all = ops.map((x) => x.op);
    const copies = (t: string | undefined) => all.filter((x): x is Extract<Op, { kind: 'copy-into' }> => x.kind === 'copy-into' && x.table === t);
    const rebuild: { table: string; copied?: string[] }[] = [];
    for (const t of o.op.tables) {
      if (t === undefined) continue;
      const into = later.find((x) => (x.kind === 'create-table' && x.table === t) || (x.kind === 'rename-table' && x.to === t));
      const target = into?.kind === 'rename-table' ? into.from : t;
      const cs = into ? copies(target) : [];
      if (cs.length === 0) continue;
      const named = cs.every((c) => c.columns !== undefined) ? cs.flatMap((c) => c.columns!) : undefined;
      rebuild.push({ table: t, ...(named ? { copied: named } : {}) });
    }
    return rebuild.length > 0 ? { ...o, op: { ...o.op, rebuild } } : o;
  });
}

function isSql(path: string, text: string): boolean {
  if (/\.sql$/i.test(path)) return true;
  if (/\.php$/i.test(path)) return false;
  return !/^\s*<\?/.test(text);
}

/**
 * The findings of one migration file. `schema` carries what earlier migrations defined (see
 * scanMigrations); without it, column changes are judged by this file alone (and its down()).
 */
export function scanMigration(path: string, text: string, schema: SchemaModel = new SchemaModel(), opts: ScanOptions = {}): Finding[] {
  const inRelease = opts.inRelease ?? true;
  const lines = new LineIndex(text);
  const scan = isSql(path, text) ? scanSqlMigration(text, lines) : scanPhpMigration(text, lines);
  const downDefs = new Map<string, ColumnDef>();
  for (const o of scan.ops) {
    if (o.inDown && o.op.kind === 'modify-column' && o.op.how === 'define' && o.op.def) {
      const key = `${o.op.table}.${o.op.newName ?? o.op.column}`;
      if (!downDefs.has(key)) downDefs.set(key, o.op.def);
    }
  }
  const ctx: EvalContext = { inRelease, downDef: (t, c) => downDefs.get(`${t}.${c}`) };
  const hits: LocatedHit[] = [];
  const up = markRebuilds(scan.ops.filter((o) => !o.inDown));
  up.forEach((o, i) => {
    for (const h of evaluate(o.op, schema, ctx)) {
      if (NULLABILITY.has(h.rule) && laterRelaxed(up.slice(i + 1).map((x) => x.op), tightens(o.op))) continue;
      hits.push({ ...h, line: o.line, statement: o.statement, scopes: o.scopes });
    }
  });
  schema.endRebuilds();
  if (!inRelease) return [];
  return applyMarkers(path, hits, scan.comments, scan.layers);
}

export interface ScanManyOptions {
  /**
   * Which files belong to the release being deployed (default: all). The others ran before:
   * they only tell the schema model the current column definitions and which tables exist.
   */
  inRelease?: (path: string) => boolean;
  /**
   * The sequence a file belongs to (default: per-driver SQL folders such as `SQL/mysql/` are
   * their own sequences, everything else is one): each sequence runs against its own schema model.
   */
  sequence?: (path: string) => string;
}

/**
 * The findings of several migrations, run in framework order (sortMigrationPaths) against one
 * schema model per sequence, so that a column change is judged against the definition earlier
 * migrations gave it, and tables/columns created by this release may be changed freely.
 */
export function scanMigrations(files: readonly { path: string; text: string }[], opts: ScanManyOptions = {}): Finding[] {
  const byPath = new Map(files.map((f) => [f.path, f.text]));
  const schemas = new Map<string, SchemaModel>();
  const findings: Finding[] = [];
  for (const path of sortMigrationPaths([...byPath.keys()])) {
    const seq = (opts.sequence ?? driverSequence)(path);
    let schema = schemas.get(seq);
    if (!schema) schemas.set(seq, (schema = new SchemaModel()));
    findings.push(...scanMigration(path, byPath.get(path)!, schema, { inRelease: opts.inRelease?.(path) ?? true }));
  }
  return findings;
}

/** Reads the migrations (paths relative to root) and scans them (see scanMigrations). */
export async function scanMigrationFiles(root: string, paths: readonly string[], opts: ScanManyOptions = {}): Promise<Finding[]> {
  const files = await Promise.all(
    paths.map(async (path) => {
      try {
        return { path, text: await readFile(join(root, path), 'utf8') };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code;
        throw new DeployError(`migrations: cannot read ${JSON.stringify(path)}: ${code ?? (err as Error)?.message ?? String(err)}`, { cause: err });
      }
    }),
  );
  return scanMigrations(files, opts);
}

/** Parses the guard mode input. */
export function parseGuardMode(value: string | undefined, input = 'migration-guard'): GuardMode {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'forbid';
  if (v === 'forbid' || v === 'warn' || v === 'off') return v;
  throw new InputError(input, `must be forbid, warn or off (got ${JSON.stringify(value)})`);
}

export interface GuardVerdict {
  /** Some destructive finding is not allowed and the mode is forbid. */
  refused: boolean;
  /** Destructive findings and what to do, ready to print, one message per line. */
  lines: string[];
  /** Findings php-deploy cannot vouch for (printed as warnings; they never refuse). */
  unknownLines: string[];
  /** Destructive findings not allowed by a marker. */
  blocking: number;
  /** Cannot-vouch findings not allowed by a marker. */
  unknown: number;
}

export const EXPAND_CONTRACT =
  'Migrations must stay compatible with the release that is live now, so that a rollback works: add (expand) in this release, remove (contract) in a later one once no live or rollback-target release uses it.';

export const HOW_TO_ALLOW =
  `To allow one statement anyway, put a comment "${MARKER} <reason>" on its line or on the line right above it (// or # in PHP, -- in SQL); ` +
  `for a whole file, "${FILE_MARKER} <reason>" in its first ${FILE_MARKER_LINES} lines.`;

export const CANNOT_VOUCH_NOTE =
  `php-deploy cannot tell whether these are safe (the column's previous definition is unknown, or the SQL is built at run time), so they do not stop the deploy; ` +
  `check them, and say you did with "${MARKER} <reason>" next to each.`;

function findingLines(f: Finding): string[] {
  return [`${f.path}:${f.line}: ${f.rule}${f.allowed ? ` (allowed: ${f.allowed.reason})` : ''}: ${f.statement}`, `    ${f.message}`];
}

/**
 * What to print and whether to stop. Each finding is `path:line: rule: statement` followed by an
 * indented line with why; allowed ones say so and do not refuse. Destructive findings refuse in
 * forbid mode; the ones php-deploy cannot vouch for are listed separately and never refuse.
 */
export function guardVerdict(findings: readonly Finding[], mode: GuardMode): GuardVerdict {
  const none: GuardVerdict = { refused: false, lines: [], unknownLines: [], blocking: 0, unknown: 0 };
  if (mode === 'off' || findings.length === 0) return none;
  const destructive = findings.filter((f) => f.verdict !== 'cannot-vouch');
  const unsure = findings.filter((f) => f.verdict === 'cannot-vouch');
  const lines = destructive.flatMap(findingLines);
  const unknown = unsure.filter((f) => !f.allowed).length;
  const unknownLines: string[] = [];
  if (unsure.length > 0) {
    unknownLines.push(`cannot vouch for ${unsure.length} migration statement${unsure.length > 1 ? 's' : ''}${unknown < unsure.length ? ` (${unsure.length - unknown} checked and marked)` : ''}:`);
    unknownLines.push(...unsure.flatMap(findingLines));
    if (unknown > 0) unknownLines.push(CANNOT_VOUCH_NOTE);
  }
  const blocking = destructive.filter((f) => !f.allowed).length;
  if (blocking === 0) return { ...none, lines, unknownLines, unknown };
  const what = `${blocking} migration statement${blocking > 1 ? 's' : ''} would break the live release and a rollback to it`;
  if (mode === 'warn') {
    lines.push(`${what}; deploying anyway (migration guard: warn).`);
    return { refused: false, lines, unknownLines, blocking, unknown };
  }
  lines.push(`${what}. ${EXPAND_CONTRACT}`);
  lines.push(HOW_TO_ALLOW);
  return { refused: true, lines, unknownLines, blocking, unknown };
}

/** The error to stop a deploy with when the verdict refuses (its lines go to the log first). */
export function guardError(verdict: GuardVerdict): DeployError | undefined {
  if (!verdict.refused) return undefined;
  const { blocking } = verdict;
  return new DeployError(`migrations: refused ${blocking} destructive statement${blocking === 1 ? '' : 's'} (see above); expand now, contract in a later release, or allow with "${MARKER} <reason>"`);
}
