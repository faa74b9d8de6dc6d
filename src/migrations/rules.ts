/**
 * The schema operations migrations perform, and which of them break the release that is live
 * now (and a rollback to it): it keeps running against the new schema until the switch, and again
 * after a rollback.
 */
import { describeType, narrowing, nullabilityBreak, type ColumnDef, type SchemaModel } from './schema.js';

export type RuleId =
  | 'drop-table'
  | 'drop-view'
  | 'drop-database'
  | 'drop-schema'
  | 'truncate'
  | 'rename-table'
  | 'drop-column'
  | 'rename-column'
  | 'narrow-column'
  | 'not-null'
  | 'drop-default'
  | 'modify-column'
  | 'add-column-not-null'
  | 'delete-without-where'
  | 'update-without-where'
  | 'dynamic-sql'
  | 'marker-without-reason'
  | 'misplaced-marker';

/** One line per rule: what it catches (for documentation and `--help` style listings). */
export const RULES: Readonly<Record<RuleId, string>> = Object.freeze({
  'drop-table': 'DROP TABLE, Schema::drop/dropIfExists, $schema->dropTable',
  'drop-view': 'DROP VIEW / DROP MATERIALIZED VIEW (use CREATE OR REPLACE VIEW)',
  'drop-database': 'DROP DATABASE',
  'drop-schema': 'DROP SCHEMA',
  truncate: 'TRUNCATE, ->truncate()',
  'rename-table': 'RENAME TABLE, ALTER TABLE … RENAME TO, Schema::rename, $schema->renameTable',
  'drop-column': 'ALTER TABLE … DROP [COLUMN], ->dropColumn(s), dropTimestamps/dropSoftDeletes/…',
  'rename-column': 'ALTER TABLE … RENAME COLUMN / CHANGE a b, ->renameColumn',
  'narrow-column': 'MODIFY/CHANGE/ALTER COLUMN TYPE/->change() to a type that holds fewer values',
  'not-null': 'a column made NOT NULL without a default',
  'drop-default': 'ALTER COLUMN … DROP DEFAULT of a NOT NULL column',
  'modify-column': 'a column change whose current definition no earlier migration or down() shows',
  'add-column-not-null': 'a new NOT NULL column without a default on an existing table',
  'delete-without-where': 'DELETE without WHERE, DB::table(…)->delete() without where',
  'update-without-where': 'UPDATE without WHERE (except backfilling columns added in this release, and version stamps)',
  'dynamic-sql': 'SQL built at run time (a variable, a function result) that php-deploy cannot read',
  'marker-without-reason': 'a php-deploy: allow-destructive marker without a reason',
  'misplaced-marker': 'a php-deploy: allow-destructive-file marker after line 20',
});

/**
 * What a finding says: `destructive` — this breaks the live release or loses data; `cannot-vouch`
 * — php-deploy cannot tell (the previous definition of a changed column is unknown, the SQL is
 * built at run time): it may be harmless or not.
 */
export type Verdict = 'destructive' | 'cannot-vouch';

const CANNOT_VOUCH: ReadonlySet<RuleId> = new Set<RuleId>(['modify-column', 'dynamic-sql']);

export function verdictOf(rule: RuleId): Verdict {
  return CANNOT_VOUCH.has(rule) ? 'cannot-vouch' : 'destructive';
}

/** A column change that sets only some attributes (Doctrine `setLength()`, `changeColumn('x', ['length' => 64])`). */
export interface PartialDef {
  type?: ColumnDef;
  size?: number;
  precision?: number;
  scale?: number;
  unsigned?: boolean;
  nullable?: boolean;
  hasDefault?: boolean;
}

export type Op =
  /** temporary: CREATE TEMPORARY TABLE (never used by the live release). */
  | { kind: 'create-table'; table?: string; columns: [string, ColumnDef | null][]; temporary?: boolean }
  /** rebuild: tables re-created (or renamed into place) later in the same migration with their rows copied over. */
  | { kind: 'drop-table'; tables: (string | undefined)[]; view?: boolean; rebuild?: { table: string; copied?: string[] }[] }
  /** INSERT INTO … SELECT / insertUsing: rows copied into a table (columns: the list it names). */
  | { kind: 'copy-into'; table?: string; columns?: string[] }
  | { kind: 'drop-database'; schema: boolean; name?: string }
  | { kind: 'truncate'; tables: (string | undefined)[] }
  | { kind: 'rename-table'; from?: string; to?: string }
  | { kind: 'add-column'; table?: string; column?: string; def?: ColumnDef }
  | { kind: 'drop-column'; table?: string; columns: string[] }
  | { kind: 'rename-column'; table?: string; from?: string; to?: string }
  /**
   * define: a full new definition (MODIFY, CHANGE, ->change()); type: only the type (ALTER
   * COLUMN … TYPE); set-not-null / drop-default: only that.
   */
  | { kind: 'modify-column'; table?: string; column?: string; newName?: string; how: 'define' | 'type' | 'set-not-null' | 'drop-default' | 'set-default' | 'drop-not-null'; def?: ColumnDef }
  /** Some attributes of a column set (Doctrine's Column setters and changeColumn options). */
  | { kind: 'alter-column'; table?: string; column?: string; set: PartialDef }
  | { kind: 'delete-all'; table?: string }
  /** constant: every SET value is a literal (a stamp such as `SET schema_version = 140`). */
  | { kind: 'update-all'; table?: string; columns: string[]; constant?: boolean }
  /** SQL php-deploy cannot read: what runs it. */
  | { kind: 'dynamic-sql'; call: string };

export interface Hit {
  rule: RuleId;
  message: string;
}

/** The column an operation gives a default or makes nullable (so inserts that leave it out work again), if any. */
export function relaxes(op: Op): { table?: string; column?: string } | undefined {
  if (op.kind === 'modify-column' && (op.how === 'set-default' || op.how === 'drop-not-null')) return op;
  if (op.kind === 'modify-column' && op.how === 'define' && op.def && (op.def.hasDefault || op.def.nullable)) return op;
  if (op.kind === 'alter-column' && (op.set.hasDefault === true || op.set.nullable === true)) return op;
  return undefined;
}

/** The column a NOT NULL finding is about. */
export function tightens(op: Op): { table?: string; column?: string } | undefined {
  if (op.kind === 'modify-column' || op.kind === 'alter-column' || op.kind === 'add-column') return op;
  return undefined;
}

export interface EvalContext {
  /** The migration belongs to the release being deployed (its tables and columns are new). */
  inRelease: boolean;
  /** The previous definition a down() method restores, when the schema model does not know it. */
  downDef(table: string | undefined, column: string | undefined): ColumnDef | undefined;
}

const LOST = 'a rollback cannot bring the data back';

function tbl(t: string | undefined): string {
  return t ?? '(a table)';
}

function col(t: string | undefined, c: string | undefined): string {
  return t === undefined ? (c ?? '(a column)') : `${t}.${c ?? '(a column)'}`;
}

/**
 * A one-row bookkeeping table (a schema-version stamp such as `ttrss_version`, `schema_info`):
 * overwriting or emptying it is what every migration of such a project does.
 */
const BOOKKEEPING = /(?:^|_)(?:version|versions|schema_?version|db_?version|dbversion|schema_?info|schema_?migrations?|migration_?versions?|revision)$/i;

function isBookkeeping(table: string | undefined): boolean {
  return table !== undefined && BOOKKEEPING.test(table.replace(/[`"[\]]/g, ''));
}

/**
 * Renaming a column this release created onto the name of a column the live release used and this
 * release dropped (add new, copy, drop old, rename new to old): the live release now reads and
 * writes a different column under the old name, so it is judged as a change of that column.
 */
function replaces(table: string | undefined, from: string | undefined, to: string | undefined, schema: SchemaModel, hit: (rule: RuleId, message: string) => void): void {
  const was = schema.droppedLive(table, to);
  if (was === undefined) return;
  const now = schema.column(table, from);
  const name = col(table, to);
  if (!was || !now) {
    hit('modify-column', `replaces ${name} (dropped above) with ${col(table, from)}, and no earlier migration shows both definitions: if the new one is narrower or NOT NULL, the live release breaks`);
    return;
  }
  const narrow = narrowing(was, now);
  if (narrow) hit('narrow-column', `replaces ${name} with ${col(table, from)}, which is narrower (${narrow}): values the live release writes may no longer fit`);
  const nb = nullabilityBreak(was, now);
  if (nb) hit('not-null', `replaces ${name} with ${col(table, from)} (${nb}): inserts from the live release that leave it out fail`);
}

/**
 * A table rebuilt in one migration (SQLite's way to change a column: create the new shape, copy
 * the rows, drop the old table, put the new one in its place): judged column by column against
 * what the live release had, as if each change were an ALTER.
 */
function rebuilt(
  table: string,
  rebuild: { before?: Map<string, ColumnDef | null>; copied?: string[] },
  after: ReadonlyMap<string, ColumnDef | null>,
  schema: SchemaModel,
  ctx: EvalContext,
  hit: (rule: RuleId, message: string) => void,
): void {
  const { before, copied } = rebuild;
  if (!before) {
    hit('modify-column', `rebuilds table ${table}, whose current definition no earlier migration shows: if a column is left out, narrowed or made NOT NULL, the live release breaks`);
  } else {
    const dropped = [...before.keys()].filter((c) => !after.has(c));
    if (dropped.length > 0) {
      hit('drop-column', `rebuilds table ${table} without ${dropped.map((c) => `${table}.${c}`).join(', ')}: the live release still reads and writes ${dropped.length > 1 ? 'them' : 'it'}, and ${LOST}`);
    }
    for (const [c, d] of after) {
      const was = before.get(c);
      if (d && was) judge(col(table, c), was, d, hit);
      else if (d && !before.has(c) && copied !== undefined && !copied.includes(c) && !d.nullable && !d.hasDefault && !d.auto) {
        hit('add-column-not-null', `rebuilds table ${table} with a new NOT NULL column ${c} without a default: inserts from the live release, which does not know the column, fail`);
      }
    }
  }
  schema.createTable(table, after, false);
  for (const c of after.keys()) if (before && !before.has(c)) schema.setColumn(table, c, after.get(c) ?? null, { inRelease: ctx.inRelease });
}

/** Operations on whole tables (and databases). */
function tableOp(op: Op, schema: SchemaModel, ctx: EvalContext, hit: (rule: RuleId, message: string) => void): void {
  switch (op.kind) {
    case 'create-table':
      // CREATE TABLE IF NOT EXISTS of a table the live release has: a no-op, the table stays old
      if (ctx.inRelease && !op.temporary && schema.isLiveTable(op.table)) break;
      if (op.table !== undefined && schema.isRebuilding(op.table)) {
        rebuilt(op.table, schema.takeRebuild(op.table), new Map(op.columns), schema, ctx, hit);
        break;
      }
      schema.createTable(op.table, op.columns, ctx.inRelease || !!op.temporary);
      break;
    case 'copy-into':
      break;
    case 'drop-table': {
      for (const r of op.rebuild ?? []) if (!schema.isNewTable(r.table)) schema.beginRebuild(r.table, r.copied);
      const old = op.tables.filter((t) => !schema.isNewTable(t) && !schema.isRebuilding(t));
      if (old.length > 0) {
        const names = old.map(tbl).join(', ');
        if (op.view) hit('drop-view', `drops view ${names}: the live release may still read it; redefine a view with CREATE OR REPLACE VIEW`);
        else hit('drop-table', `drops table${old.length > 1 ? 's' : ''} ${names}: the live release still reads and writes ${old.length > 1 ? 'them' : 'it'}, and ${LOST}`);
      }
      for (const t of op.tables) if (!schema.isRebuilding(t)) schema.dropTable(t);
      break;
    }
    case 'drop-database':
      hit(op.schema ? 'drop-schema' : 'drop-database', `drops ${op.schema ? 'schema' : 'database'} ${op.name ?? ''}: every table in it is gone for the live release, and ${LOST}`.replace('  ', ' '));
      break;
    case 'truncate': {
      const old = op.tables.filter((t) => !schema.isNewTable(t));
      if (old.length > 0) hit('truncate', `deletes every row of ${old.map(tbl).join(', ')}: ${LOST}`);
      break;
    }
    case 'rename-table':
      if (op.to !== undefined && schema.isRebuilding(op.to) && schema.isNewTable(op.from)) {
        rebuilt(op.to, schema.takeRebuild(op.to), schema.columnsOf(op.from) ?? new Map(), schema, ctx, hit);
        schema.dropTable(op.from);
        break;
      }
      if (!schema.isNewTable(op.from)) {
        hit('rename-table', `renames table ${tbl(op.from)} to ${op.to ?? '(a new name)'}: the live release still uses the old name`);
      }
      schema.renameTable(op.from, op.to);
      break;
  }
}

/** The findings of one operation; updates the schema model. */
export function evaluate(op: Op, schema: SchemaModel, ctx: EvalContext): Hit[] {
  const hits: Hit[] = [];
  const hit = (rule: RuleId, message: string): void => {
    hits.push({ rule, message });
  };
  switch (op.kind) {
    case 'create-table':
    case 'copy-into':
    case 'drop-table':
    case 'drop-database':
    case 'truncate':
    case 'rename-table':
      tableOp(op, schema, ctx, hit);
      break;
    case 'add-column': {
      // ADD COLUMN IF NOT EXISTS, or one guarded by hasColumn(), of a column the live release has: a no-op
      if (schema.isLiveColumn(op.table, op.column)) break;
      const d = op.def;
      if (d && !d.nullable && !d.hasDefault && !d.auto && !schema.isNewTable(op.table)) {
        hit(
          'add-column-not-null',
          `adds ${col(op.table, op.column)} as NOT NULL without a default: inserts from the live release, which does not know the column, fail; make it nullable or give it a default`,
        );
      }
      schema.setColumn(op.table, op.column, d ?? null, { inRelease: ctx.inRelease });
      break;
    }
    case 'drop-column': {
      if (op.columns.length === 0) {
        if (!schema.isNewTable(op.table)) hit('drop-column', `drops columns of ${tbl(op.table)}: the live release still reads and writes them, and ${LOST}`);
        break;
      }
      const old = op.columns.filter((c) => !schema.isNewColumn(op.table, c));
      if (old.length > 0) {
        const names = old.map((c) => col(op.table, c)).join(', ');
        hit('drop-column', `drops column${old.length > 1 ? 's' : ''} ${names}: the live release still reads and writes ${old.length > 1 ? 'them' : 'it'}, and ${LOST}`);
      }
      for (const c of op.columns) schema.dropColumn(op.table, c, { inRelease: ctx.inRelease });
      break;
    }
    case 'rename-column':
      if (!schema.isNewColumn(op.table, op.from)) {
        hit('rename-column', `renames column ${col(op.table, op.from)} to ${op.to ?? '(a new name)'}: the live release still uses the old name`);
      } else if (ctx.inRelease) replaces(op.table, op.from, op.to, schema, hit);
      schema.renameColumn(op.table, op.from, op.to);
      break;
    case 'modify-column':
      modify(op, schema, ctx, hit);
      break;
    case 'alter-column':
      alter(op, schema, ctx, hit);
      break;
    case 'dynamic-sql':
      hit('dynamic-sql', `runs SQL built at run time (${op.call}): php-deploy cannot read it, so it cannot vouch for it; if it only adds, allow it with the marker`);
      break;
    case 'delete-all':
      if (!schema.isNewTable(op.table) && !isBookkeeping(op.table)) hit('delete-without-where', `deletes every row of ${tbl(op.table)} (no WHERE): ${LOST}`);
      break;
    case 'update-all': {
      const backfill = op.columns.length > 0 && op.columns.every((c) => schema.isNewColumn(op.table, c));
      const stamp = op.constant === true && (isBookkeeping(op.table) || schema.isStamp(op.table, op.columns));
      if (op.constant) schema.noteStamp(op.table, op.columns);
      if (!backfill && !stamp && !schema.isNewTable(op.table)) {
        const cols = op.columns.length > 0 ? op.columns.join(', ') : 'columns';
        hit('update-without-where', `overwrites ${cols} in every row of ${tbl(op.table)} (no WHERE): the values the live release wrote are gone, and a rollback cannot restore them`);
      }
      break;
    }
  }
  return hits;
}

/**
 * A column this release added to a table the live release has: its type may change freely (the
 * live release neither reads nor writes it), but the live release's inserts leave it out, so it
 * must stay nullable or keep a default.
 */
function newColumnNullability(name: string, old: ColumnDef | undefined, nw: { nullable: boolean; hasDefault: boolean; auto: boolean }, hit: (rule: RuleId, message: string) => void): void {
  if (nw.nullable || nw.hasDefault || nw.auto) return;
  if (old && !old.nullable && !old.hasDefault && !old.auto) return; // added NOT NULL without default: reported when added
  hit(
    old && !old.nullable ? 'drop-default' : 'not-null',
    `makes ${name} NOT NULL without a default; the column is new in this release, so inserts from the live release, which leave it out, fail`,
  );
}

function modify(
  op: Extract<Op, { kind: 'modify-column' }>,
  schema: SchemaModel,
  ctx: EvalContext,
  hit: (rule: RuleId, message: string) => void,
): void {
  const { table, column } = op;
  const name = col(table, column);
  const isNew = schema.isNewColumn(table, column);
  /** New column on a table the live release has: only nullability matters. */
  const addedToLive = isNew && !schema.isNewTable(table) && ctx.inRelease;
  const old = schema.column(table, column) ?? ctx.downDef(table, column);
  const renamed = op.newName !== undefined && op.newName !== column;
  if (!isNew && renamed) {
    hit('rename-column', `renames column ${name} to ${op.newName}: the live release still uses the old name`);
  } else if (isNew && renamed && ctx.inRelease) replaces(table, column, op.newName, schema, hit);
  let next: ColumnDef | null = null;
  switch (op.how) {
    case 'define': {
      const d = op.def;
      if (!d) {
        if (!isNew) {
          hit('modify-column', `changes ${column === undefined ? 'a column' : name}: php-deploy cannot tell the old or the new definition; if this narrows its type or makes it NOT NULL, the live release breaks; if it only widens, allow it with the marker`);
        }
        break;
      }
      next = d;
      if (addedToLive) newColumnNullability(name, old, d, hit);
      if (isNew) break;
      if (!old) {
        hit(
          'modify-column',
          `changes ${name} (to ${describeType(d)}${d.nullable ? '' : ' NOT NULL'}), whose current definition no earlier migration or down() shows: if this narrows its type or makes it NOT NULL, the live release breaks; if it only widens, allow it with the marker`,
        );
        break;
      }
      judge(name, old, d, hit);
      break;
    }
    case 'type':
      if (op.def) next = retype(name, old, op.def, isNew, hit);
      break;
    case 'set-not-null':
      next = old ? { ...old, nullable: false } : null;
      if (addedToLive && old) newColumnNullability(name, old, next!, hit);
      else if (addedToLive) hit('not-null', `makes ${name} NOT NULL; the column is new in this release, so inserts from the live release, which leave it out, fail unless it has a default`);
      else if (!isNew && (!old || (old.nullable && !old.hasDefault && !old.auto))) {
        hit('not-null', `makes ${name} NOT NULL${old ? ' (it has no default)' : ''}: inserts from the live release that leave it out or set NULL fail`);
      }
      break;
    case 'set-default':
      next = old ? { ...old, hasDefault: true } : null;
      break;
    case 'drop-not-null':
      next = old ? { ...old, nullable: true } : null;
      break;
    case 'drop-default':
      next = old ? { ...old, hasDefault: false } : null;
      if (addedToLive && old && !old.nullable) {
        hit('drop-default', `removes the default of ${name}, a NOT NULL column new in this release: inserts from the live release, which leave it out, fail`);
      } else if (!isNew && !(old && old.nullable)) {
        hit('drop-default', `removes the default of ${name}: inserts from the live release that leave it out fail if it is NOT NULL`);
      }
      break;
  }
  const target = renamed ? op.newName : column;
  if (renamed) schema.renameColumn(table, column, op.newName);
  if (next) schema.setColumn(table, target, next);
  else if (!old) schema.setColumn(table, target, null);
}

/** ALTER COLUMN … TYPE: the column with its new type (nullability and default kept); a narrowing is a hit. */
function retype(name: string, old: ColumnDef | undefined, d: ColumnDef, isNew: boolean, hit: (rule: RuleId, message: string) => void): ColumnDef {
  const next = { ...d, nullable: old?.nullable ?? true, hasDefault: old?.hasDefault ?? false, auto: old?.auto ?? false };
  if (isNew) return next;
  if (!old) {
    hit(
      'modify-column',
      `changes the type of ${name} to ${describeType(d)}, whose current type no earlier migration or down() shows: if this narrows it, the live release breaks; if it only widens, allow it with the marker`,
    );
    return next;
  }
  const narrow = narrowing(old, d);
  if (narrow) hit('narrow-column', `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
  return next;
}

/** Narrowing and nullability of a known column redefined. */
function judge(name: string, old: ColumnDef, d: ColumnDef, hit: (rule: RuleId, message: string) => void): void {
  const narrow = narrowing(old, d);
  if (narrow) hit('narrow-column', `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
  const nb = nullabilityBreak(old, d);
  if (nb && old.nullable) hit('not-null', `makes ${name} NOT NULL without a default: inserts from the live release that leave it out or set NULL fail`);
  else if (nb) hit('drop-default', `removes the default of NOT NULL column ${name}: inserts from the live release that leave it out fail`);
}

/** The definition after some attributes are set. */
function applyPartial(old: ColumnDef, set: PartialDef): ColumnDef {
  const base = set.type ? { ...set.type, nullable: old.nullable, hasDefault: old.hasDefault, auto: old.auto } : { ...old };
  if (set.size !== undefined) base.size = set.size;
  if (set.precision !== undefined) base.precision = set.precision;
  if (set.scale !== undefined) base.scale = set.scale;
  if (set.unsigned !== undefined) base.unsigned = set.unsigned;
  if (set.nullable !== undefined) base.nullable = set.nullable;
  if (set.hasDefault !== undefined) base.hasDefault = set.hasDefault;
  return base;
}

/** Doctrine's Column setters / changeColumn options on an existing column. */
function alter(op: Extract<Op, { kind: 'alter-column' }>, schema: SchemaModel, ctx: EvalContext, hit: (rule: RuleId, message: string) => void): void {
  const { table, column, set } = op;
  const name = col(table, column);
  const isNew = schema.isNewColumn(table, column);
  const unreadable = [set.size, set.precision, set.scale].some((n) => n !== undefined && Number.isNaN(n));
  const old = unreadable ? undefined : (schema.column(table, column) ?? ctx.downDef(table, column));
  const typeChange = set.type !== undefined || set.size !== undefined || set.precision !== undefined || set.scale !== undefined || set.unsigned !== undefined;
  if (old) {
    const next = applyPartial(old, set);
    if (isNew && !schema.isNewTable(table) && ctx.inRelease) newColumnNullability(name, old, next, hit);
    else if (!isNew) judge(name, old, next, hit);
    schema.setColumn(table, column, next);
    return;
  }
  if (isNew) return;
  if (set.nullable === false && set.hasDefault !== true) {
    hit('not-null', `makes ${name} NOT NULL (setNotnull(true)) without a default: inserts from the live release that leave it out or set NULL fail`);
  }
  if (typeChange) {
    const what = set.type ? `the type of ${name} to ${describeType(set.type)}` : set.size !== undefined ? `the length of ${name} to ${Number.isNaN(set.size) ? 'a computed value' : set.size}` : `the precision or sign of ${name}`;
    hit('modify-column', `changes ${what}, whose current definition no earlier migration or down() shows: if this narrows it, the live release breaks; if it only widens, allow it with the marker`);
  }
  schema.setColumn(table, column, null);
}
