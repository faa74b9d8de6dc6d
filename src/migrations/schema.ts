/**
 * Column definitions and what the migrations so far say about the schema: enough to tell whether
 * changing a column narrows it (values the live release writes may no longer fit) and which
 * tables and columns are new in this release (the live release cannot use them yet, so dropping
 * or changing them is harmless).
 */
import type { SqlToken } from './sql-lex.js';

export type Family =
  | 'int' | 'decimal' | 'float' | 'string' | 'binary' | 'date' | 'datetime' | 'timestamp' | 'time'
  | 'year' | 'json' | 'enum' | 'set' | 'other';

export interface ColumnDef {
  /** Normalized type name, e.g. `varchar`, `int`, `timestamptz`. */
  base: string;
  family: Family;
  /**
   * int/float: bytes; string/binary: maximum length (Infinity: unbounded);
   * datetime/timestamp/time: fractional second digits.
   */
  size?: number;
  precision?: number;
  scale?: number;
  unsigned?: boolean;
  /** enum/set values. */
  values?: string[];
  /** Type arguments as written, for types this module does not understand. */
  args?: string;
  nullable: boolean;
  hasDefault: boolean;
  /** Auto-increment, identity, serial or generated: the database fills it in. */
  auto: boolean;
}

interface TypeInfo {
  family: Family;
  size?: number;
  base?: string;
  auto?: boolean;
}

const TYPES: Record<string, TypeInfo> = {
  tinyint: { family: 'int', size: 1 }, int1: { family: 'int', size: 1, base: 'tinyint' },
  bool: { family: 'int', size: 1, base: 'tinyint' }, boolean: { family: 'int', size: 1, base: 'tinyint' },
  smallint: { family: 'int', size: 2 }, int2: { family: 'int', size: 2, base: 'smallint' },
  mediumint: { family: 'int', size: 3 }, int3: { family: 'int', size: 3, base: 'mediumint' }, middleint: { family: 'int', size: 3, base: 'mediumint' },
  int: { family: 'int', size: 4 }, integer: { family: 'int', size: 4, base: 'int' }, int4: { family: 'int', size: 4, base: 'int' },
  bigint: { family: 'int', size: 8 }, int8: { family: 'int', size: 8, base: 'bigint' },
  smallserial: { family: 'int', size: 2, base: 'smallint', auto: true }, serial2: { family: 'int', size: 2, base: 'smallint', auto: true },
  serial: { family: 'int', size: 4, base: 'int', auto: true }, serial4: { family: 'int', size: 4, base: 'int', auto: true },
  bigserial: { family: 'int', size: 8, base: 'bigint', auto: true }, serial8: { family: 'int', size: 8, base: 'bigint', auto: true },
  decimal: { family: 'decimal' }, numeric: { family: 'decimal', base: 'decimal' }, dec: { family: 'decimal', base: 'decimal' }, fixed: { family: 'decimal', base: 'decimal' },
  float: { family: 'float', size: 4 }, float4: { family: 'float', size: 4, base: 'float' }, real: { family: 'float', size: 4, base: 'float' },
  double: { family: 'float', size: 8 }, float8: { family: 'float', size: 8, base: 'double' },
  char: { family: 'string', size: 1 }, character: { family: 'string', size: 1, base: 'char' }, nchar: { family: 'string', size: 1, base: 'char' }, bpchar: { family: 'string', size: 1, base: 'char' },
  varchar: { family: 'string', size: Infinity }, nvarchar: { family: 'string', size: Infinity, base: 'varchar' }, varchar2: { family: 'string', size: Infinity, base: 'varchar' },
  tinytext: { family: 'string', size: 255 }, text: { family: 'string', size: 65535 }, mediumtext: { family: 'string', size: 16777215 },
  longtext: { family: 'string', size: 4294967295 }, citext: { family: 'string', size: Infinity }, clob: { family: 'string', size: 4294967295 },
  binary: { family: 'binary', size: 1 }, varbinary: { family: 'binary', size: Infinity }, tinyblob: { family: 'binary', size: 255 },
  blob: { family: 'binary', size: 65535 }, mediumblob: { family: 'binary', size: 16777215 }, longblob: { family: 'binary', size: 4294967295 },
  bytea: { family: 'binary', size: Infinity },
  date: { family: 'date' }, datetime: { family: 'datetime', size: 0 }, timestamp: { family: 'timestamp', size: 0 },
  timestamptz: { family: 'timestamp', size: 0 }, time: { family: 'time', size: 0 }, timetz: { family: 'time', size: 0 }, year: { family: 'year' },
  json: { family: 'json' }, jsonb: { family: 'json' },
  enum: { family: 'enum' }, set: { family: 'set' },
};

/** The definition of a column of a type name with arguments (numbers or enum values). */
export function typeDef(name: string, args: (number | string)[] = [], opts: Partial<ColumnDef> = {}): ColumnDef {
  const lower = name.toLowerCase();
  const info = TYPES[lower];
  const def: ColumnDef = {
    base: info?.base ?? lower,
    family: info?.family ?? 'other',
    nullable: true,
    hasDefault: false,
    auto: info?.auto ?? false,
    ...(info?.size !== undefined ? { size: info.size } : {}),
  };
  const nums = args.filter((a): a is number => typeof a === 'number');
  switch (def.family) {
    case 'string':
    case 'binary':
      if (nums[0] !== undefined && (def.base === 'char' || def.base === 'varchar' || def.base === 'binary' || def.base === 'varbinary')) def.size = nums[0];
      if (nums[0] !== undefined && (def.base === 'text' || def.base === 'blob')) def.size = Math.max(nums[0], 0) || def.size; // TEXT(n)
      break;
    case 'decimal':
      def.precision = nums[0] ?? (args.length === 0 && def.base === 'decimal' && lower === 'numeric' ? Infinity : 10);
      def.scale = nums[1] ?? 0;
      break;
    case 'float':
      if (def.base === 'float' && nums[0] !== undefined && nums[0] > 24) {
        def.base = 'double';
        def.size = 8;
      }
      break;
    case 'datetime':
    case 'timestamp':
    case 'time':
      if (nums[0] !== undefined) def.size = nums[0];
      break;
    case 'enum':
    case 'set':
      def.values = args.map(String);
      break;
    case 'other':
      if (args.length > 0) def.args = args.join(',');
      break;
  }
  return { ...def, ...opts };
}

/** The type as SQL, e.g. `VARCHAR(100)`, `INT UNSIGNED`, `ENUM('a','b')`. */
export function describeType(d: ColumnDef): string {
  const b = d.base.toUpperCase();
  let s: string;
  if (d.family === 'enum' || d.family === 'set') s = `${b}(${(d.values ?? []).map((v) => `'${v}'`).join(',')})`;
  else if (d.family === 'decimal') s = d.precision === Infinity ? b : `${b}(${d.precision},${d.scale})`;
  else if ((d.base === 'char' || d.base === 'varchar' || d.base === 'binary' || d.base === 'varbinary') && d.size !== Infinity) s = `${b}(${d.size})`;
  else if ((d.family === 'datetime' || d.family === 'timestamp' || d.family === 'time') && d.size) s = `${b}(${d.size})`;
  else if (d.args) s = `${b}(${d.args})`;
  else s = b;
  return d.unsigned ? `${s} UNSIGNED` : s;
}

/** Decimal digits an integer of this many bytes needs. */
function intDigits(size: number, unsigned: boolean): number {
  return ({ 1: 3, 2: 5, 3: unsigned ? 8 : 7, 4: 10, 8: unsigned ? 20 : 19 } as Record<number, number>)[size] ?? 20;
}

/** Why the new type cannot hold every value of the old one, or undefined when it can. */
export function narrowing(old: ColumnDef, nw: ColumnDef): string | undefined {
  const what = `${describeType(old)} → ${describeType(nw)}`;
  if (old.family === nw.family) {
    switch (nw.family) {
      case 'int': {
        const os = old.size ?? 4;
        const ns = nw.size ?? 4;
        if (ns < os) return what;
        if (!old.unsigned && nw.unsigned) return `${what} (negative values no longer fit)`;
        if (old.unsigned && !nw.unsigned && ns <= os) return what;
        return undefined;
      }
      case 'decimal': {
        const oi = (old.precision ?? 10) - (old.scale ?? 0);
        const ni = (nw.precision ?? 10) - (nw.scale ?? 0);
        if (ni < oi || (nw.scale ?? 0) < (old.scale ?? 0)) return what;
        if (!old.unsigned && nw.unsigned) return what;
        return undefined;
      }
      case 'float':
        return (nw.size ?? 8) < (old.size ?? 8) ? what : undefined;
      case 'string':
      case 'binary':
        return (nw.size ?? Infinity) < (old.size ?? Infinity) ? what : undefined;
      case 'datetime':
      case 'time':
      case 'timestamp':
        if (old.base !== nw.base) return what;
        return (nw.size ?? 0) < (old.size ?? 0) ? what : undefined;
      case 'enum':
      case 'set': {
        const missing = (old.values ?? []).filter((v) => !(nw.values ?? []).includes(v));
        return missing.length > 0 ? `${what} (drops ${missing.map((v) => `'${v}'`).join(', ')})` : undefined;
      }
      case 'date':
      case 'year':
      case 'json':
        return undefined;
      default:
        return old.base !== nw.base || (old.args ?? '') !== (nw.args ?? '') ? what : undefined;
    }
  }
  // widening across families
  if (old.family === 'date' && nw.family === 'datetime') return undefined; // a date is a datetime at midnight
  if (old.family === 'int' && nw.family === 'decimal') {
    return (nw.precision ?? 10) - (nw.scale ?? 0) >= intDigits(old.size ?? 4, !!old.unsigned) && !(nw.unsigned && !old.unsigned) ? undefined : what;
  }
  if (old.family === 'int' && nw.family === 'float') return (old.size ?? 4) <= 4 && (nw.size ?? 8) === 8 ? undefined : what;
  if (old.family === 'enum' && nw.family === 'string') {
    const longest = Math.max(0, ...(old.values ?? []).map((v) => v.length));
    return (nw.size ?? Infinity) >= longest ? undefined : what;
  }
  if (nw.family === 'string') {
    // every value written as a number, date or JSON still fits as text of this length
    const need =
      old.family === 'int' ? intDigits(old.size ?? 4, !!old.unsigned) + 1 :
      old.family === 'decimal' ? (old.precision ?? 10) + 2 :
      old.family === 'float' ? 25 :
      old.family === 'date' || old.family === 'year' ? 10 :
      old.family === 'datetime' || old.family === 'timestamp' || old.family === 'time' ? 26 :
      old.family === 'json' ? 4294967295 :
      Infinity;
    if ((nw.size ?? Infinity) >= need) return undefined;
  }
  if (old.family === 'timestamp' && nw.family === 'datetime' && old.base === 'timestamp') {
    return (nw.size ?? 0) >= (old.size ?? 0) ? undefined : what;
  }
  return what;
}

/**
 * Why the new definition rejects inserts or updates the live release makes with the old one (NOT
 * NULL without a default where NULL or no value was accepted), or undefined.
 */
export function nullabilityBreak(old: ColumnDef | undefined, nw: ColumnDef): string | undefined {
  if (nw.nullable || nw.hasDefault || nw.auto) return undefined;
  if (old === undefined) return 'NOT NULL without a default';
  if (old.nullable) return 'NULL → NOT NULL without a default';
  if (old.hasDefault) return 'removes the default of a NOT NULL column';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// SQL column definitions

function unquoteSqlString(s: string): string {
  const q = s[0];
  if (q !== "'") return s;
  return s.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
}

/**
 * Parses `type [(args)] [attributes…]` (the part after the column name) of a column definition.
 * Undefined when it does not start with a type name.
 */
export function parseSqlColumnDef(t: readonly SqlToken[]): ColumnDef | undefined {
  let k = 0;
  const first = t[k];
  if (!first || first.type !== 'word') return undefined;
  let name = first.up.toLowerCase();
  k++;
  if (name === 'national' && t[k]?.type === 'word') name = t[k++]!.up.toLowerCase();
  if (name === 'long' && (t[k]?.up === 'VARCHAR' || t[k]?.up === 'VARBINARY')) {
    name = t[k++]!.up === 'VARCHAR' ? 'mediumtext' : 'mediumblob';
  }
  if (name === 'double' && t[k]?.up === 'PRECISION') k++;
  if ((name === 'character' || name === 'char' || name === 'nchar') && t[k]?.up === 'VARYING') {
    name = 'varchar';
    k++;
  }
  if (name === 'bit' && t[k]?.up === 'VARYING') {
    name = 'varbit';
    k++;
  }
  const args: (number | string)[] = [];
  if (t[k]?.text === '(' && t[k]?.type === 'punct') {
    let depth = 0;
    for (; k < t.length; k++) {
      const tk = t[k]!;
      if (tk.text === '(' && tk.type === 'punct') depth++;
      else if (tk.text === ')' && tk.type === 'punct') {
        if (--depth === 0) {
          k++;
          break;
        }
      } else if (depth === 1 && tk.type === 'number') args.push(Number(tk.text));
      else if (depth === 1 && tk.type === 'string') args.push(unquoteSqlString(tk.text));
    }
  }
  if ((name === 'timestamp' || name === 'time') && (t[k]?.up === 'WITH' || t[k]?.up === 'WITHOUT') && t[k + 1]?.up === 'TIME') {
    if (t[k]!.up === 'WITH') name = name === 'timestamp' ? 'timestamptz' : 'timetz';
    k += 3;
  }
  let isArray = false;
  while (t[k]?.text === '[' && t[k + 1]?.text === ']') {
    isArray = true;
    k += 2;
  }
  if (isArray) name += '[]';
  const def = typeDef(name, args);
  if (name === 'varchar' && args.length === 0) def.size = Infinity; // PostgreSQL varchar without a length
  applyColumnAttributes(t, k, def);
  return def;
}

/** The attributes after a column's type (UNSIGNED, [NOT] NULL, DEFAULT, AUTO_INCREMENT, PRIMARY …) applied to `def`. */
function applyColumnAttributes(t: readonly SqlToken[], from: number, def: ColumnDef): void {
  let explicitNull: boolean | undefined;
  let primary = false;
  let depth = 0;
  for (let k = from; k < t.length; k++) {
    const tk = t[k]!;
    if (tk.type === 'punct' && tk.text === '(') depth++;
    else if (tk.type === 'punct' && tk.text === ')') depth--;
    if (depth > 0 || tk.type !== 'word') continue;
    switch (tk.up) {
      case 'UNSIGNED':
      case 'ZEROFILL':
        def.unsigned = true;
        break;
      case 'NOT':
        if (t[k + 1]?.up === 'NULL') {
          explicitNull = false;
          k++;
        }
        break;
      case 'NULL':
        explicitNull = true;
        break;
      case 'DEFAULT':
        def.hasDefault = true;
        if (t[k + 1]?.up === 'NULL') k++; // DEFAULT NULL says nothing about nullability
        break;
      case 'AUTO_INCREMENT':
      case 'AUTOINCREMENT':
      case 'IDENTITY':
      case 'GENERATED':
      case 'SERIAL':
        def.auto = true;
        break;
      case 'AS':
        if (t[k + 1]?.text === '(') def.auto = true; // generated column
        break;
      case 'PRIMARY':
        primary = true;
        break;
      case 'COMMENT':
      case 'COLLATE':
        k++;
        break;
      case 'ON':
        if (t[k + 1]?.up === 'UPDATE') k += 2; // ON UPDATE CURRENT_TIMESTAMP is no default
        break;
    }
  }
  def.nullable = explicitNull ?? !(primary || def.auto);
}

// ---------------------------------------------------------------------------------------------
// What the migrations so far say about the schema

/** Lower-cased, unquoted, without a schema/database qualifier. */
export function normName(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined;
  // placeholders keep their spelling; `getTable('x', true)` (quoted) names the same table as `getTable('x')`
  return /[{$%?]/.test(name) ? name.replace(/,(?:true|false)\)/g, ')') : name.toLowerCase();
}

export class SchemaModel {
  /** table → column → definition (null: the column exists, its definition is unknown). */
  private readonly tables = new Map<string, Map<string, ColumnDef | null>>();
  /** Tables created by a migration of this release. */
  private readonly newTables = new Set<string>();
  /** `table.column` added by a migration of this release. */
  private readonly newColumns = new Set<string>();
  /** `table.column` the live release had and a migration of this release dropped → its definition. */
  private readonly dropped = new Map<string, ColumnDef | null>();
  /** Tables (and SET columns) overwritten without WHERE by constants: version stamps. */
  private readonly stamps = new Map<string, number>();

  /** Live tables dropped to be rebuilt in the same migration → their columns (undefined: unknown). */
  private readonly rebuilds = new Map<string, { before?: Map<string, ColumnDef | null>; copied?: string[] }>();

  /** `copied`: the columns the copy names (a new column outside it gets no value from old rows). */
  beginRebuild(table: string, copied?: string[]): void {
    const cols = this.tables.get(table);
    this.rebuilds.set(table, { ...(cols ? { before: new Map(cols) } : {}), ...(copied ? { copied } : {}) });
    this.dropTable(table);
  }

  isRebuilding(table: string | undefined): boolean {
    return table !== undefined && this.rebuilds.has(table);
  }

  takeRebuild(table: string): { before?: Map<string, ColumnDef | null>; copied?: string[] } {
    const r = this.rebuilds.get(table) ?? {};
    this.rebuilds.delete(table);
    return r;
  }

  /** A rebuild that never finished in its migration is a plain drop. */
  endRebuilds(): void {
    this.rebuilds.clear();
  }

  columnsOf(table: string | undefined): Map<string, ColumnDef | null> | undefined {
    return table === undefined ? undefined : this.tables.get(table);
  }

  /** The table exists and was not created by this release. */
  isLiveTable(table: string | undefined): boolean {
    return table !== undefined && this.tables.has(table) && !this.newTables.has(table);
  }

  /** The column exists (a migration that ran before created it) and was not added by this release. */
  isLiveColumn(table: string | undefined, column: string | undefined): boolean {
    if (table === undefined || column === undefined) return false;
    return this.isLiveTable(table) && this.tables.get(table)!.has(column) && !this.newColumns.has(`${table}.${column}`);
  }

  /** The definition (null: unknown) of a live column this release dropped, or undefined. */
  droppedLive(table: string | undefined, column: string | undefined): ColumnDef | null | undefined {
    return this.dropped.get(`${table}.${column}`);
  }

  noteStamp(table: string | undefined, columns: readonly string[]): void {
    if (table === undefined) return;
    const key = `${table}:${[...columns].sort().join(',')}`;
    this.stamps.set(key, (this.stamps.get(key) ?? 0) + 1);
  }

  /**
   * Earlier migrations overwrote the same columns of this table with constants: twice, or once
   * when the column says it is a version (`db_rev`, `schema_version`): a stamp, not data.
   */
  isStamp(table: string | undefined, columns: readonly string[]): boolean {
    if (table === undefined) return false;
    const n = this.stamps.get(`${table}:${[...columns].sort().join(',')}`) ?? 0;
    return n >= 2 || (n >= 1 && columns.length > 0 && columns.every((c) => /version|(?:^|_)rev(?:ision)?(?:$|_)|schema|stamp/i.test(c)));
  }

  isNewTable(table: string | undefined): boolean {
    return table !== undefined && this.newTables.has(table);
  }

  isNewColumn(table: string | undefined, column: string | undefined): boolean {
    if (table === undefined || column === undefined) return false;
    return this.isNewTable(table) || this.newColumns.has(`${table}.${column}`);
  }

  column(table: string | undefined, column: string | undefined): ColumnDef | undefined {
    if (table === undefined || column === undefined) return undefined;
    return this.tables.get(table)?.get(column) ?? undefined;
  }

  createTable(table: string | undefined, columns: Iterable<[string, ColumnDef | null]>, inRelease: boolean): void {
    if (table === undefined) return;
    this.tables.set(table, new Map(columns));
    if (inRelease) this.newTables.add(table);
    else this.newTables.delete(table);
  }

  dropTable(table: string | undefined): void {
    if (table === undefined) return;
    this.tables.delete(table);
    this.newTables.delete(table);
    for (const c of [...this.newColumns]) if (c.startsWith(`${table}.`)) this.newColumns.delete(c);
  }

  renameTable(from: string | undefined, to: string | undefined): void {
    if (from === undefined || to === undefined) return;
    const cols = this.tables.get(from);
    const wasNew = this.newTables.has(from);
    this.dropTable(from);
    if (cols) this.tables.set(to, cols);
    if (wasNew) this.newTables.add(to);
  }

  setColumn(table: string | undefined, column: string | undefined, def: ColumnDef | null, added?: { inRelease: boolean }): void {
    if (table === undefined || column === undefined) return;
    let cols = this.tables.get(table);
    if (!cols) this.tables.set(table, (cols = new Map()));
    cols.set(column, def);
    if (added?.inRelease) this.newColumns.add(`${table}.${column}`);
    else if (added) this.newColumns.delete(`${table}.${column}`);
  }

  dropColumn(table: string | undefined, column: string | undefined, by?: { inRelease: boolean }): void {
    if (table === undefined || column === undefined) return;
    if (by?.inRelease && !this.isNewColumn(table, column)) this.dropped.set(`${table}.${column}`, this.column(table, column) ?? null);
    this.tables.get(table)?.delete(column);
    this.newColumns.delete(`${table}.${column}`);
  }

  renameColumn(table: string | undefined, from: string | undefined, to: string | undefined): void {
    if (table === undefined || from === undefined || to === undefined) return;
    const cols = this.tables.get(table);
    const def = cols?.get(from);
    const wasNew = this.newColumns.has(`${table}.${from}`);
    this.dropColumn(table, from);
    if (cols) cols.set(to, def ?? null);
    if (wasNew) this.newColumns.add(`${table}.${to}`);
  }
}
