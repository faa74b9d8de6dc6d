/**
 * Column definitions from the Laravel schema builder (`$table->string('name', 100)->nullable()`)
 * and Doctrine's schema API (`$table->addColumn('name', 'string', ['length' => 100])`).
 */
import type { PartialDef } from './rules.js';
import { typeDef, type ColumnDef } from './schema.js';

/** A call argument as far as it is a literal. */
export interface ArgVal {
  /** The argument is exactly one string literal. */
  str?: string;
  num?: number;
  bool?: boolean;
  /** Every string literal in the argument (array elements, …). */
  strings: string[];
  /** Source text of the argument, comments removed. */
  raw: string;
}

export interface NamedDef {
  name?: string;
  def: ColumnDef;
}

const num = (a: ArgVal | undefined, dflt: number): number => a?.num ?? dflt;

/** Laravel Blueprint methods that add columns (lower-cased). */
export const LARAVEL_COLUMN_METHODS = new Set(
  [
    'string', 'char', 'text', 'tinyText', 'mediumText', 'longText',
    'integer', 'tinyInteger', 'smallInteger', 'mediumInteger', 'bigInteger',
    'unsignedInteger', 'unsignedTinyInteger', 'unsignedSmallInteger', 'unsignedMediumInteger', 'unsignedBigInteger',
    'increments', 'tinyIncrements', 'smallIncrements', 'mediumIncrements', 'integerIncrements', 'bigIncrements', 'id',
    'boolean', 'decimal', 'unsignedDecimal', 'float', 'double', 'unsignedFloat', 'unsignedDouble',
    'date', 'dateTime', 'dateTimeTz', 'timestamp', 'timestampTz', 'time', 'timeTz', 'year',
    'json', 'jsonb', 'uuid', 'ulid', 'ipAddress', 'macAddress', 'binary', 'enum', 'set',
    'foreignId', 'foreignIdFor', 'foreignUuid', 'foreignUlid',
    'morphs', 'nullableMorphs', 'uuidMorphs', 'nullableUuidMorphs', 'ulidMorphs', 'nullableUlidMorphs', 'numericMorphs', 'nullableNumericMorphs',
    'timestamps', 'timestampsTz', 'nullableTimestamps', 'datetimes', 'softDeletes', 'softDeletesTz', 'softDeletesDatetime', 'rememberToken',
    'geometry', 'geography', 'point', 'lineString', 'polygon', 'geometryCollection', 'multiPoint', 'multiLineString', 'multiPolygon',
    'vector', 'addColumn',
  ].map((s) => s.toLowerCase()),
);

/** Laravel's column type names (as used by addColumn) → SQL type and arguments. */
// long: a lookup table written as one switch, one case per Laravel type; it reads top to bottom.
function laravelType(type: string, args: ArgVal[]): ColumnDef {
  const t = type.toLowerCase();
  const a1 = args[1];
  switch (t) {
    case 'string':
      return typeDef('varchar', [num(a1, 255)]);
    case 'char':
      return typeDef('char', [num(a1, 255)]);
    case 'text':
    case 'tinytext':
    case 'mediumtext':
    case 'longtext':
      return typeDef(t);
    case 'integer':
    case 'tinyinteger':
    case 'smallinteger':
    case 'mediuminteger':
    case 'biginteger':
    case 'unsignedinteger':
    case 'unsignedtinyinteger':
    case 'unsignedsmallinteger':
    case 'unsignedmediuminteger':
    case 'unsignedbiginteger': {
      const base = t.replace('unsigned', '').replace('integer', '') || 'int';
      const unsigned = t.startsWith('unsigned') || args[2]?.bool === true;
      return typeDef(base === 'int' ? 'int' : `${base}int`, [], { unsigned, auto: a1?.bool === true });
    }
    case 'increments':
    case 'integerincrements':
      return typeDef('int', [], { unsigned: true, auto: true, nullable: false });
    case 'tinyincrements':
    case 'smallincrements':
    case 'mediumincrements':
    case 'bigincrements':
    case 'id':
      return typeDef(t === 'id' ? 'bigint' : `${t.replace('increments', '')}int`, [], { unsigned: true, auto: true, nullable: false });
    case 'boolean':
      return typeDef('tinyint', [1]);
    case 'decimal':
    case 'unsigneddecimal':
      return typeDef('decimal', [num(a1, 8), num(args[2], 2)], { unsigned: t.startsWith('unsigned') });
    case 'float':
    case 'unsignedfloat':
      return typeDef('float', [num(a1, 53)], { unsigned: t.startsWith('unsigned') });
    case 'double':
    case 'unsigneddouble':
      return typeDef('double', [], { unsigned: t.startsWith('unsigned') });
    case 'date':
    case 'year':
    case 'json':
    case 'jsonb':
      return typeDef(t);
    case 'datetime':
    case 'datetimetz':
      return typeDef('datetime', [num(a1, 0)]);
    case 'timestamp':
    case 'timestamptz':
      return typeDef('timestamp', [num(a1, 0)]);
    case 'time':
    case 'timetz':
      return typeDef('time', [num(a1, 0)]);
    case 'uuid':
    case 'foreignuuid':
      return typeDef('char', [36]);
    case 'ulid':
    case 'foreignulid':
      return typeDef('char', [26]);
    case 'ipaddress':
      return typeDef('varchar', [45]);
    case 'macaddress':
      return typeDef('varchar', [17]);
    case 'binary':
      return a1?.num !== undefined ? typeDef(args[2]?.bool ? 'binary' : 'varbinary', [a1.num]) : typeDef('blob');
    case 'enum':
    case 'set':
      return typeDef(t, a1?.strings ?? []);
    case 'foreignid':
    case 'foreignidfor':
      return typeDef('bigint', [], { unsigned: true });
    default:
      return typeDef(t);
  }
}

/**
 * The columns a Blueprint column method adds, with the chained modifiers applied
 * (`nullable()`, `default()`, `useCurrent()`, `autoIncrement()`, `storedAs()`, `unsigned()`, …).
 * Laravel columns are NOT NULL unless `->nullable()`.
 */
export function laravelColumns(method: string, args: ArgVal[], mods: ReadonlyMap<string, ArgVal[]>): NamedDef[] {
  const m = method.toLowerCase();
  const name = args[0]?.str;
  const ts = (n: string, type: string, nullable = true): NamedDef => ({ name: n, def: typeDef(type, [num(args[0], 0)], { nullable }) });
  switch (m) {
    case 'timestamps':
    case 'timestampstz':
    case 'nullabletimestamps':
      return [ts('created_at', 'timestamp'), ts('updated_at', 'timestamp')];
    case 'datetimes':
      return [ts('created_at', 'datetime'), ts('updated_at', 'datetime')];
    case 'softdeletes':
    case 'softdeletestz':
    case 'softdeletesdatetime':
      return [{ name: name ?? 'deleted_at', def: typeDef(m === 'softdeletesdatetime' ? 'datetime' : 'timestamp', [num(args[1], 0)], { nullable: true }) }];
    case 'remembertoken':
      return [{ name: 'remember_token', def: typeDef('varchar', [100], { nullable: true }) }];
    case 'morphs':
    case 'nullablemorphs':
    case 'uuidmorphs':
    case 'nullableuuidmorphs':
    case 'ulidmorphs':
    case 'nullableulidmorphs':
    case 'numericmorphs':
    case 'nullablenumericmorphs': {
      const nullable = m.startsWith('nullable');
      const id = m.includes('uuid') ? typeDef('char', [36]) : m.includes('ulid') ? typeDef('char', [26]) : typeDef('bigint', [], { unsigned: true });
      return [
        { name: name && `${name}_type`, def: typeDef('varchar', [255], { nullable }) },
        { name: name && `${name}_id`, def: { ...id, nullable } },
      ].map((d) => (d.name === undefined ? { def: d.def } : { name: d.name, def: d.def }));
    }
  }
  let def: ColumnDef;
  let colName = name;
  if (m === 'addcolumn') {
    def = laravelType(args[0]?.str ?? 'other', [args[1] ?? { strings: [], raw: '' }]);
    colName = args[1]?.str;
  } else if (m === 'id') {
    def = laravelType('id', args);
    colName = name ?? 'id';
  } else if (m === 'foreignidfor') {
    def = laravelType(m, args);
    colName = args[1]?.str;
  } else if (m === 'ipaddress' || m === 'macaddress') {
    def = laravelType(m, args);
    colName = name ?? (m === 'ipaddress' ? 'ip_address' : 'mac_address');
  } else {
    def = laravelType(m, args);
  }
  // Laravel: NOT NULL unless ->nullable()
  if (!def.auto) def.nullable = false;
  const nullable = mods.get('nullable');
  if (nullable) def.nullable = nullable[0]?.bool !== false;
  if (mods.has('default') || mods.has('usecurrent')) def.hasDefault = true;
  if (mods.has('autoincrement') || mods.has('storedas') || mods.has('virtualas') || mods.has('generatedas')) def.auto = true;
  if (mods.has('unsigned')) def.unsigned = true;
  if (mods.has('primary')) def.nullable = false;
  return [colName === undefined ? { def } : { name: colName, def }];
}

/** Doctrine DBAL type names → SQL. */
export function doctrineColumn(type: string | undefined, optionsRaw: string, chainRaw: string): ColumnDef {
  const opt = (key: string): string | undefined => new RegExp(`['"]${key}['"]\\s*=>\\s*([^,\\]\\)]+)`, 'i').exec(optionsRaw)?.[1]?.trim();
  const n = (key: string): number | undefined => {
    const v = opt(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const t = (type ?? '').toLowerCase();
  let def: ColumnDef;
  switch (t) {
    case 'string':
    case 'ascii_string':
      def = typeDef(opt('fixed') === 'true' ? 'char' : 'varchar', [n('length') ?? 255]);
      break;
    case 'text':
    case 'simple_array':
    case 'array':
    case 'object':
      def = typeDef('longtext');
      break;
    case 'integer':
      def = typeDef('int');
      break;
    case 'bigint':
    case 'smallint':
    case 'date':
    case 'time':
    case 'json':
    case 'blob':
      def = typeDef(t);
      break;
    case 'boolean':
      def = typeDef('tinyint', [1]);
      break;
    case 'decimal':
      def = typeDef('decimal', [n('precision') ?? 10, n('scale') ?? 0]);
      break;
    case 'float':
      def = typeDef('double');
      break;
    case 'smallfloat':
      def = typeDef('float');
      break;
    case 'datetime':
    case 'datetime_immutable':
    case 'datetimetz':
    case 'datetimetz_immutable':
      def = typeDef('datetime');
      break;
    case 'date_immutable':
      def = typeDef('date');
      break;
    case 'guid':
      def = typeDef('char', [36]);
      break;
    case 'binary':
      def = typeDef('varbinary', [n('length') ?? 255]);
      break;
    default:
      def = typeDef(t || 'unknown');
  }
  if (opt('unsigned') === 'true') def.unsigned = true;
  // Doctrine columns are NOT NULL unless 'notnull' => false
  def.nullable = opt('notnull') === 'false' || /->\s*setNotnull\s*\(\s*false\s*\)/i.test(chainRaw);
  def.hasDefault = opt('default') !== undefined || /->\s*setDefault\s*\(/i.test(chainRaw);
  def.auto = opt('autoincrement') === 'true' || /->\s*setAutoincrement\s*\(\s*true\s*\)/i.test(chainRaw);
  return def;
}

/** `Type::getType('smallint')`, `Type::getType(Types::SMALLINT)`, `Types::DATETIME_MUTABLE`, `'string'` → a DBAL type name. */
function dbalTypeName(raw: string): string | undefined {
  const lit = /^['"]([\w]+)['"]$/.exec(raw.trim())?.[1];
  if (lit) return lit.toLowerCase();
  const konst = /Types?::([A-Z_]+)/.exec(raw)?.[1];
  if (konst && konst !== 'getType') return konst.toLowerCase().replace(/_mutable$/, '');
  const inner = /getType\s*\(\s*['"](\w+)['"]/.exec(raw)?.[1];
  if (inner) return inner.toLowerCase();
  const cls = /new\s+\\?(?:[\w\\]*\\)?(\w+)Type\b/.exec(raw)?.[1];
  return cls?.toLowerCase();
}

function typeOnly(name: string, length?: number): ColumnDef {
  const d = doctrineColumn(name, length !== undefined ? `'length' => ${length}` : '', '');
  return d;
}

/** What Doctrine Column setters (`setLength(64)`, `setNotnull(true)`, `setType(…)`, …) change, or undefined when nothing that matters. */
export function partialFromSetters(calls: readonly { name: string; args: ArgVal[] }[]): PartialDef | undefined {
  const set: PartialDef = {};
  let any = false;
  for (const c of calls) {
    const a = c.args[0];
    switch (c.name.toLowerCase()) {
      case 'setlength':
        if (a?.num !== undefined) set.size = a.num;
        else set.size = NaN;
        any = true;
        break;
      case 'setnotnull':
        set.nullable = a?.bool === false;
        any = true;
        break;
      case 'setdefault':
        set.hasDefault = a !== undefined && !/^null$/i.test(a.raw);
        any = true;
        break;
      case 'setprecision':
        set.precision = a?.num ?? NaN;
        any = true;
        break;
      case 'setscale':
        set.scale = a?.num ?? NaN;
        any = true;
        break;
      case 'setunsigned':
        set.unsigned = a?.bool === true;
        any = true;
        break;
      case 'settype': {
        const n = a ? dbalTypeName(a.raw) : undefined;
        set.type = typeOnly(n ?? 'unknown');
        any = true;
        break;
      }
      case 'setoptions': {
        const o = a ? partialFromOptions(a.raw) : undefined;
        if (o) {
          Object.assign(set, o);
          any = true;
        }
        break;
      }
    }
  }
  if (set.type && set.size !== undefined && !Number.isNaN(set.size)) set.type = typeOnly(set.type.base === 'varchar' ? 'string' : set.type.base, set.size);
  return any ? set : undefined;
}

/** What a Doctrine options array (`['length' => 64, 'notnull' => true, 'type' => Type::getType('text')]`) changes. */
export function partialFromOptions(raw: string): PartialDef | undefined {
  const opt = (key: string): string | undefined => new RegExp(`['"]${key}['"]\\s*=>\\s*([^,\\]\\)]+(?:\\([^()]*\\))?)`, 'i').exec(raw)?.[1]?.trim();
  const calls: { name: string; args: ArgVal[] }[] = [];
  const arg = (v: string): ArgVal => ({
    strings: [],
    raw: v,
    ...(/^-?\d+$/.test(v) ? { num: Number(v) } : {}),
    ...(/^(?:true|false)$/i.test(v) ? { bool: v.toLowerCase() === 'true' } : {}),
  });
  for (const [key, setter] of [['type', 'setType'], ['length', 'setLength'], ['notnull', 'setNotnull'], ['default', 'setDefault'], ['precision', 'setPrecision'], ['scale', 'setScale'], ['unsigned', 'setUnsigned']] as const) {
    const v = opt(key);
    if (v !== undefined) calls.push({ name: setter, args: [arg(v)] });
  }
  return calls.length > 0 ? partialFromSetters(calls) : undefined;
}
