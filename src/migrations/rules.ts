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
  'update-without-where': 'UPDATE without WHERE (except backfilling columns added in this release)',
  'marker-without-reason': 'a php-deploy: allow-destructive marker without a reason',
  'misplaced-marker': 'a php-deploy: allow-destructive-file marker after line 20',
});

export type Op =
  /** temporary: CREATE TEMPORARY TABLE (never used by the live release). */
  | { kind: 'create-table'; table?: string; columns: [string, ColumnDef | null][]; temporary?: boolean }
  | { kind: 'drop-table'; tables: (string | undefined)[]; view?: boolean }
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
  | { kind: 'modify-column'; table?: string; column?: string; newName?: string; how: 'define' | 'type' | 'set-not-null' | 'drop-default'; def?: ColumnDef }
  | { kind: 'delete-all'; table?: string }
  | { kind: 'update-all'; table?: string; columns: string[] };

export interface Hit {
  rule: RuleId;
  message: string;
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

/** The findings of one operation; updates the schema model. */
export function evaluate(op: Op, schema: SchemaModel, ctx: EvalContext): Hit[] {
  const hits: Hit[] = [];
  const hit = (rule: RuleId, message: string): void => {
    hits.push({ rule, message });
  };
  switch (op.kind) {
    case 'create-table':
      schema.createTable(op.table, op.columns, ctx.inRelease || !!op.temporary);
      break;
    case 'drop-table': {
      const old = op.tables.filter((t) => !schema.isNewTable(t));
      if (old.length > 0) {
        const names = old.map(tbl).join(', ');
        if (op.view) hit('drop-view', `drops view ${names}: the live release may still read it; redefine a view with CREATE OR REPLACE VIEW`);
        else hit('drop-table', `drops table${old.length > 1 ? 's' : ''} ${names}: the live release still reads and writes ${old.length > 1 ? 'them' : 'it'}, and ${LOST}`);
      }
      for (const t of op.tables) schema.dropTable(t);
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
      if (!schema.isNewTable(op.from)) {
        hit('rename-table', `renames table ${tbl(op.from)} to ${op.to ?? '(a new name)'}: the live release still uses the old name`);
      }
      schema.renameTable(op.from, op.to);
      break;
    case 'add-column': {
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
      for (const c of op.columns) schema.dropColumn(op.table, c);
      break;
    }
    case 'rename-column':
      if (!schema.isNewColumn(op.table, op.from)) {
        hit('rename-column', `renames column ${col(op.table, op.from)} to ${op.to ?? '(a new name)'}: the live release still uses the old name`);
      }
      schema.renameColumn(op.table, op.from, op.to);
      break;
    case 'modify-column':
      modify(op, schema, ctx, hit);
      break;
    case 'delete-all':
      if (!schema.isNewTable(op.table)) hit('delete-without-where', `deletes every row of ${tbl(op.table)} (no WHERE): ${LOST}`);
      break;
    case 'update-all': {
      const backfill = op.columns.length > 0 && op.columns.every((c) => schema.isNewColumn(op.table, c));
      if (!backfill && !schema.isNewTable(op.table)) {
        const cols = op.columns.length > 0 ? op.columns.join(', ') : 'columns';
        hit('update-without-where', `overwrites ${cols} in every row of ${tbl(op.table)} (no WHERE): the values the live release wrote are gone, and a rollback cannot restore them`);
      }
      break;
    }
  }
  return hits;
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
  const old = schema.column(table, column) ?? ctx.downDef(table, column);
  const renamed = op.newName !== undefined && op.newName !== column;
  if (!isNew && renamed) {
    hit('rename-column', `renames column ${name} to ${op.newName}: the live release still uses the old name`);
  }
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
      if (isNew) break;
      if (!old) {
        hit(
          'modify-column',
          `changes ${name} (to ${describeType(d)}${d.nullable ? '' : ' NOT NULL'}), whose current definition no earlier migration or down() shows: if this narrows its type or makes it NOT NULL, the live release breaks; if it only widens, allow it with the marker`,
        );
        break;
      }
      const narrow = narrowing(old, d);
      if (narrow) hit('narrow-column', `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
      const nb = nullabilityBreak(old, d);
      if (nb && old.nullable) hit('not-null', `makes ${name} NOT NULL without a default: inserts from the live release that leave it out or set NULL fail`);
      else if (nb) hit('drop-default', `removes the default of NOT NULL column ${name}: inserts from the live release that leave it out fail`);
      break;
    }
    case 'type': {
      const d = op.def;
      if (!d) break;
      next = { ...d, nullable: old?.nullable ?? true, hasDefault: old?.hasDefault ?? false, auto: old?.auto ?? false };
      if (isNew) break;
      if (!old) {
        hit(
          'modify-column',
          `changes the type of ${name} to ${describeType(d)}, whose current type no earlier migration or down() shows: if this narrows it, the live release breaks; if it only widens, allow it with the marker`,
        );
        break;
      }
      const narrow = narrowing(old, d);
      if (narrow) hit('narrow-column', `narrows ${name} (${narrow}): values the live release writes may no longer fit`);
      break;
    }
    case 'set-not-null':
      next = old ? { ...old, nullable: false } : null;
      if (!isNew && (!old || (old.nullable && !old.hasDefault && !old.auto))) {
        hit('not-null', `makes ${name} NOT NULL${old ? ' (it has no default)' : ''}: inserts from the live release that leave it out or set NULL fail`);
      }
      break;
    case 'drop-default':
      next = old ? { ...old, hasDefault: false } : null;
      if (!isNew && !(old && old.nullable)) {
        hit('drop-default', `removes the default of ${name}: inserts from the live release that leave it out fail if it is NOT NULL`);
      }
      break;
  }
  const target = renamed ? op.newName : column;
  if (renamed) schema.renameColumn(table, column, op.newName);
  if (next) schema.setColumn(table, target, next);
  else if (!old) schema.setColumn(table, target, null);
}
