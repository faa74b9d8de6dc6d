/**
 * What a SQL statement does to the schema (MySQL/MariaDB, PostgreSQL, SQLite): the operations
 * the rules judge. Statements that only add (CREATE, ADD COLUMN, ADD INDEX, INSERT, …) or only
 * touch indexes and constraints (DROP INDEX, DROP FOREIGN KEY, RENAME INDEX, …) yield nothing
 * the rules refuse.
 */
import type { Op } from './rules.js';
import { normName, parseSqlColumnDef } from './schema.js';
import { lexSql, type SqlLex, type SqlLexOptions, type SqlStatement, type SqlToken } from './sql-lex.js';

export interface LocatedOp {
  op: Op;
  /** Index in the SQL text of the token that makes the operation (for the line). */
  at: number;
}

export interface SqlItem extends LocatedOp {
  statement: SqlStatement;
}

const isName = (t: SqlToken | undefined): boolean => t !== undefined && (t.type === 'word' || t.type === 'qident' || t.type === 'ph' || t.type === 'string');
const isPunct = (t: SqlToken | undefined, p: string): boolean => t !== undefined && t.type === 'punct' && t.text === p;

/** A possibly qualified name at k (`db.table`, `"schema"."table"`): its last part and the index after it. */
function readName(t: readonly SqlToken[], k: number): { name?: string; next: number } {
  if (!isName(t[k])) return { next: k };
  let last = t[k]!;
  let j = k + 1;
  while (isPunct(t[j], '.') && isName(t[j + 1])) {
    last = t[j + 1]!;
    j += 2;
  }
  const raw = last.type === 'string' ? last.text.slice(1, -1) : last.text;
  return { name: normName(raw), next: j };
}

/** Splits tokens at `,` outside parentheses. */
function splitTop(t: readonly SqlToken[], sep = ','): SqlToken[][] {
  const out: SqlToken[][] = [];
  let cur: SqlToken[] = [];
  let depth = 0;
  for (const tk of t) {
    if (tk.type === 'punct' && (tk.text === '(' || tk.text === '[')) depth++;
    else if (tk.type === 'punct' && (tk.text === ')' || tk.text === ']')) depth--;
    if (depth === 0 && tk.type === 'punct' && tk.text === sep) {
      out.push(cur);
      cur = [];
    } else cur.push(tk);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Index of the first word at parenthesis depth 0 from `from` that is one of `words`, or -1. */
function findTop(t: readonly SqlToken[], words: readonly string[], from = 0): number {
  let depth = 0;
  for (let k = from; k < t.length; k++) {
    const tk = t[k]!;
    if (isPunct(tk, '(')) depth++;
    else if (isPunct(tk, ')')) depth--;
    else if (depth === 0 && words.includes(tk.up)) return k;
  }
  return -1;
}

/** Skips `IF EXISTS` / `IF NOT EXISTS`. */
function skipIf(t: readonly SqlToken[], k: number): number {
  if (t[k]?.up !== 'IF') return k;
  if (t[k + 1]?.up === 'EXISTS') return k + 2;
  if (t[k + 1]?.up === 'NOT' && t[k + 2]?.up === 'EXISTS') return k + 3;
  return k;
}

/** Comma-separated names from k (e.g. DROP TABLE a, b CASCADE). */
function nameList(t: readonly SqlToken[], k: number): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  for (const part of splitTop(t.slice(k))) {
    const { name } = readName(part, 0);
    if (name !== undefined) names.push(name);
  }
  return names;
}

const NOT_A_COLUMN = new Set([
  'INDEX', 'KEY', 'PRIMARY', 'FOREIGN', 'CONSTRAINT', 'CHECK', 'PARTITION', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'SYSTEM', 'PERIOD', 'EXCLUDE',
]);

/** Column definitions inside `( … )` of CREATE TABLE or ALTER TABLE … ADD (…). */
function columnList(inner: readonly SqlToken[]): [string, ReturnType<typeof parseSqlColumnDef>][] {
  const cols: [string, ReturnType<typeof parseSqlColumnDef>][] = [];
  for (const part of splitTop(inner)) {
    if (part.length === 0 || NOT_A_COLUMN.has(part[0]!.up) || part[0]!.up === 'LIKE') continue;
    const { name, next } = readName(part, 0);
    if (name === undefined) continue;
    cols.push([name, parseSqlColumnDef(part.slice(next))]);
  }
  return cols;
}

/** The tokens inside the parentheses that open at k, and the index after the closing one. */
function parenthesized(t: readonly SqlToken[], k: number): { inner: SqlToken[]; next: number } | undefined {
  if (!isPunct(t[k], '(')) return undefined;
  let depth = 0;
  for (let j = k; j < t.length; j++) {
    if (isPunct(t[j], '(')) depth++;
    else if (isPunct(t[j], ')') && --depth === 0) return { inner: t.slice(k + 1, j), next: j + 1 };
  }
  return { inner: t.slice(k + 1), next: t.length };
}

function alterTable(t: readonly SqlToken[]): LocatedOp[] {
  let k = 1;
  while (t[k]?.up === 'ONLINE' || t[k]?.up === 'OFFLINE' || t[k]?.up === 'IGNORE') k++;
  if (t[k]?.up !== 'TABLE') return [];
  k = skipIf(t, k + 1);
  if (t[k]?.up === 'ONLY') k++;
  const { name: table, next } = readName(t, k);
  k = next;
  if (isPunct(t[k], '*')) k++;
  return splitTop(t.slice(k)).flatMap((spec) => alterSpec(spec, table));
}

/** One specification of an ALTER TABLE (ADD, DROP, MODIFY/CHANGE, ALTER, RENAME) as operations. */
function alterSpec(s: readonly SqlToken[], table: string | undefined): LocatedOp[] {
  const ops: LocatedOp[] = [];
  const head = s[0];
  if (!head) return ops;
  const at = head.s;
  const add = (op: Op, where = at): void => {
    ops.push({ op, at: where });
  };
  let i = 1;
  switch (head.up) {
    case 'ADD': {
      const colKw = s[i]?.up === 'COLUMN';
      if (colKw) i++;
      i = skipIf(s, i);
      const list = parenthesized(s, i);
      if (list) {
        for (const [column, def] of columnList(list.inner)) add({ kind: 'add-column', table, column, ...(def ? { def } : {}) });
      } else if (colKw || !NOT_A_COLUMN.has(s[i]?.up ?? '')) {
        const { name: column, next: j } = readName(s, i);
        if (column === undefined) break;
        const def = parseSqlColumnDef(s.slice(j));
        add({ kind: 'add-column', table, column, ...(def ? { def } : {}) });
      }
      break;
    }
    case 'DROP': {
      const colKw = s[i]?.up === 'COLUMN';
      if (colKw) i++;
      else if (NOT_A_COLUMN.has(s[i]?.up ?? '') || s[i]?.up === 'DEFAULT') break;
      i = skipIf(s, i);
      const { name: column } = readName(s, i);
      if (column !== undefined) add({ kind: 'drop-column', table, columns: [column] });
      break;
    }
    case 'MODIFY':
    case 'CHANGE': {
      if (s[i]?.up === 'COLUMN') i++;
      i = skipIf(s, i);
      const { name: column, next: j } = readName(s, i);
      if (column === undefined) break;
      let newName: string | undefined;
      let defFrom = j;
      if (head.up === 'CHANGE') {
        const r = readName(s, j);
        newName = r.name;
        defFrom = r.next;
      }
      const def = parseSqlColumnDef(s.slice(defFrom));
      add({ kind: 'modify-column', table, column, how: 'define', ...(newName !== undefined ? { newName } : {}), ...(def ? { def } : {}) });
      break;
    }
    case 'ALTER': {
      if (NOT_A_COLUMN.has(s[i]?.up ?? '')) break;
      if (s[i]?.up === 'COLUMN') i++;
      const { name: column, next: j } = readName(s, i);
      if (column === undefined) break;
      const a = s[j]?.up;
      const b = s[j + 1]?.up;
      if (a === 'DROP' && b === 'DEFAULT') add({ kind: 'modify-column', table, column, how: 'drop-default' }, s[j]!.s);
      else if (a === 'SET' && b === 'NOT' && s[j + 2]?.up === 'NULL') add({ kind: 'modify-column', table, column, how: 'set-not-null' }, s[j]!.s);
      else if (a === 'SET' && b === 'DEFAULT' && s[j + 2]?.up !== 'NULL') add({ kind: 'modify-column', table, column, how: 'set-default' }, s[j]!.s);
      else if (a === 'DROP' && b === 'NOT' && s[j + 2]?.up === 'NULL') add({ kind: 'modify-column', table, column, how: 'drop-not-null' }, s[j]!.s);
      else if (a === 'TYPE' || (a === 'SET' && b === 'DATA' && s[j + 2]?.up === 'TYPE')) {
        const def = parseSqlColumnDef(s.slice(a === 'TYPE' ? j + 1 : j + 3));
        add({ kind: 'modify-column', table, column, how: 'type', ...(def ? { def } : {}) });
      }
      break;
    }
    case 'RENAME': {
      const op = renameOp(s, i, table);
      if (op) add(op);
      break;
    }
  }
  return ops;
}

/** RENAME TO/AS a table, RENAME COLUMN a TO b (or RENAME a TO b); nothing for indexes and keys. */
function renameOp(s: readonly SqlToken[], i: number, table: string | undefined): Op | undefined {
  const w = s[i]?.up;
  if (w === 'TO' || w === 'AS') return { kind: 'rename-table', from: table, to: readName(s, i + 1).name };
  if (w === 'COLUMN') {
    const from = readName(s, i + 1);
    return { kind: 'rename-column', table, from: from.name, to: readName(s, from.next + 1).name };
  }
  if (w === 'INDEX' || w === 'KEY' || w === 'CONSTRAINT') return undefined;
  const first = readName(s, i);
  if (s[first.next]?.up === 'TO') return { kind: 'rename-column', table, from: first.name, to: readName(s, first.next + 1).name };
  return { kind: 'rename-table', from: table, to: first.name };
}

function deleteStatement(t: readonly SqlToken[]): LocatedOp[] {
  if (findTop(t, ['WHERE', 'ON']) >= 0) return [];
  const from = findTop(t, ['FROM']);
  const { name: table } = readName(t, from >= 0 ? from + 1 : 1);
  return [{ op: { kind: 'delete-all', table }, at: t[0]!.s }];
}

/** A value that is the same for every row: literals (and values computed in PHP). */
function isConstant(rhs: readonly SqlToken[]): boolean {
  return (
    rhs.length > 0 &&
    rhs.every((x) => x.type === 'string' || x.type === 'number' || x.type === 'ph' || ['NULL', 'TRUE', 'FALSE'].includes(x.up) || (x.type === 'punct' && (x.text === '-' || x.text === '+')))
  );
}

function updateStatement(t: readonly SqlToken[]): LocatedOp[] {
  const set = findTop(t, ['SET']);
  if (set < 0) return [];
  if (findTop(t, ['WHERE']) >= 0 || findTop(t.slice(0, set), ['ON']) >= 0) return [];
  let k = 1;
  while (['LOW_PRIORITY', 'IGNORE', 'ONLY'].includes(t[k]?.up ?? '')) k++;
  const { name: table } = readName(t, k);
  let end = findTop(t, ['FROM', 'ORDER', 'LIMIT', 'RETURNING'], set + 1);
  if (end < 0) end = t.length;
  const columns: string[] = [];
  let constant = true;
  for (const a of splitTop(t.slice(set + 1, end))) {
    const eq = a.findIndex((x) => isPunct(x, '='));
    const lhs = a.slice(0, eq < 0 ? a.length : eq).filter(isName);
    const last = lhs.at(-1);
    if (last) columns.push(normName(last.text)!);
    if (eq < 0 || !isConstant(a.slice(eq + 1))) constant = false;
  }
  return [{ op: { kind: 'update-all', table, columns, ...(constant ? { constant } : {}) }, at: t[0]!.s }];
}

/** The operations of one statement. */
export function statementOps(stmt: SqlStatement): LocatedOp[] {
  let t: readonly SqlToken[] = stmt.tokens;
  if (t[0]?.up === 'WITH') {
    const main = findTop(t, ['DELETE', 'UPDATE', 'INSERT', 'SELECT', 'MERGE'], 1);
    if (main < 0) return [];
    t = t.slice(main);
  }
  const first = t[0];
  if (!first) return [];
  const at = first.s;
  switch (first.up) {
    case 'DROP': {
      let k = 1;
      if (t[k]?.up === 'TEMPORARY' || t[k]?.up === 'TEMP') return [];
      const what = t[k]?.up;
      if (what === 'MATERIALIZED' && t[k + 1]?.up === 'VIEW') k++;
      const kind = t[k]?.up;
      k = skipIf(t, k + 1);
      if (kind === 'TABLE' || kind === 'TABLES') return [{ op: { kind: 'drop-table', tables: nameList(t, k) }, at }];
      if (kind === 'VIEW') return [{ op: { kind: 'drop-table', tables: nameList(t, k), view: true }, at }];
      if (kind === 'DATABASE' || kind === 'SCHEMA') {
        return [{ op: { kind: 'drop-database', schema: kind === 'SCHEMA', name: readName(t, k).name }, at }];
      }
      return [];
    }
    case 'TRUNCATE': {
      let k = 1;
      if (t[k]?.up === 'TABLE') k++;
      if (t[k]?.up === 'ONLY') k++;
      return [{ op: { kind: 'truncate', tables: nameList(t, k) }, at }];
    }
    case 'RENAME': {
      if (t[1]?.up !== 'TABLE' && t[1]?.up !== 'TABLES') return [];
      return splitTop(t.slice(2)).map((pair) => {
        const from = readName(pair, 0);
        return { op: { kind: 'rename-table', from: from.name, to: readName(pair, from.next + 1).name }, at };
      });
    }
    case 'ALTER':
      return alterTable(t);
    case 'DELETE':
      return deleteStatement(t);
    case 'INSERT':
    case 'REPLACE': {
      if (findTop(t, ['SELECT']) < 0) return [];
      let k = 1;
      while (['IGNORE', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'OR', 'REPLACE', 'ABORT', 'FAIL', 'ROLLBACK'].includes(t[k]?.up ?? '')) k++;
      if (t[k]?.up === 'INTO') k++;
      const { name: table, next } = readName(t, k);
      const list = parenthesized(t, next);
      const columns = list ? splitTop(list.inner).map((p) => readName(p, 0).name).filter((c): c is string => c !== undefined) : undefined;
      return [{ op: { kind: 'copy-into', table, ...(columns ? { columns } : {}) }, at }];
    }
    case 'UPDATE':
      return updateStatement(t);
    case 'CREATE': {
      let k = 1;
      if (t[k]?.up === 'OR' && t[k + 1]?.up === 'REPLACE') k += 2;
      while (['GLOBAL', 'LOCAL', 'UNLOGGED'].includes(t[k]?.up ?? '')) k++;
      const temporary = t[k]?.up === 'TEMPORARY' || t[k]?.up === 'TEMP';
      if (temporary) k++;
      if (t[k]?.up !== 'TABLE') return [];
      k = skipIf(t, k + 1);
      const { name: table, next } = readName(t, k);
      const list = parenthesized(t, next);
      const columns = list ? columnList(list.inner).map(([c, d]): [string, NonNullable<typeof d> | null] => [c, d ?? null]) : [];
      return [{ op: { kind: 'create-table', table, columns, ...(temporary ? { temporary } : {}) }, at }];
    }
    default:
      return [];
  }
}

export interface SqlScan {
  lex: SqlLex;
  items: SqlItem[];
}

/** Lexes SQL text and lists the operations of its statements in order. */
export function scanSqlText(text: string, opts: SqlLexOptions = {}): SqlScan {
  const lex = lexSql(text, opts);
  const items: SqlItem[] = [];
  for (const statement of lex.statements) {
    for (const o of statementOps(statement)) items.push({ ...o, statement });
  }
  return { lex, items };
}

/** The statement as one line: comments dropped, whitespace collapsed. */
export function statementText(lex: SqlLex, stmt: SqlStatement): string {
  let s = '';
  let pos = stmt.s;
  for (const c of lex.comments) {
    if (c.e <= stmt.s || c.s >= stmt.e) continue;
    s += lex.text.slice(pos, c.s) + ' ';
    pos = c.e;
  }
  s += lex.text.slice(pos, stmt.e);
  return s.replace(/\s+/g, ' ').trim();
}
