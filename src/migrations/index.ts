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
import { evaluate, type EvalContext } from './rules.js';
import { scanPhpMigration, scanSqlMigration } from './scan-php.js';
import { SchemaModel, type ColumnDef } from './schema.js';
import { LineIndex, type Finding, type LocatedHit } from './types.js';

export { DEFAULT_MIGRATION_GLOBS, findMigrationFiles, globToRegExp, matchesGlob, sortMigrationPaths } from './glob.js';
export { FILE_MARKER, MARKER } from './markers.js';
export { describeDiscovery, discoverMigrations, driverSequence, migrationClass, type Discovery } from './discover.js';
export { RULES, type RuleId } from './rules.js';
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
  for (const o of scan.ops) {
    if (o.inDown) continue;
    for (const h of evaluate(o.op, schema, ctx)) hits.push({ ...h, line: o.line, statement: o.statement, scopes: o.scopes });
  }
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
  /** Some finding is not allowed and the mode is forbid. */
  refused: boolean;
  /** Ready to print, one message per line. */
  lines: string[];
  /** Findings not allowed by a marker. */
  blocking: number;
}

export const EXPAND_CONTRACT =
  'Migrations must stay compatible with the release that is live now, so that a rollback works: add (expand) in this release, remove (contract) in a later one once no live or rollback-target release uses it.';

export const HOW_TO_ALLOW =
  `To allow one statement anyway, put a comment "${MARKER} <reason>" on its line or on the line right above it (// or # in PHP, -- in SQL); ` +
  `for a whole file, "${FILE_MARKER} <reason>" in its first ${FILE_MARKER_LINES} lines.`;

/**
 * What to print and whether to stop. Each finding is `path:line: rule: statement` followed by an
 * indented line with why; allowed ones say so and do not refuse.
 */
export function guardVerdict(findings: readonly Finding[], mode: GuardMode): GuardVerdict {
  if (mode === 'off' || findings.length === 0) return { refused: false, lines: [], blocking: 0 };
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.path}:${f.line}: ${f.rule}${f.allowed ? ` (allowed: ${f.allowed.reason})` : ''}: ${f.statement}`);
    lines.push(`    ${f.message}`);
  }
  const blocking = findings.filter((f) => !f.allowed).length;
  if (blocking === 0) return { refused: false, lines, blocking };
  const what = `${blocking} migration statement${blocking > 1 ? 's' : ''} would break the live release and a rollback to it`;
  if (mode === 'warn') {
    lines.push(`${what}; deploying anyway (migration guard: warn).`);
    return { refused: false, lines, blocking };
  }
  lines.push(`${what}. ${EXPAND_CONTRACT}`);
  lines.push(HOW_TO_ALLOW);
  return { refused: true, lines, blocking };
}

/** The error to stop a deploy with when the verdict refuses (its lines go to the log first). */
export function guardError(verdict: GuardVerdict): DeployError | undefined {
  if (!verdict.refused) return undefined;
  const { blocking } = verdict;
  return new DeployError(`migrations: refused ${blocking} destructive statement${blocking === 1 ? '' : 's'} (see above); expand now, contract in a later release, or allow with "${MARKER} <reason>"`);
}
