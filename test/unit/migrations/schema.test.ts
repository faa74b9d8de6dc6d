import { describe, expect, test } from 'vitest';
import { narrowing, nullabilityBreak, parseSqlColumnDef, typeDef, type ColumnDef } from '../../../src/migrations/schema.js';
import { lexSql } from '../../../src/migrations/sql-lex.js';

function def(sql: string): ColumnDef {
  const d = parseSqlColumnDef(lexSql(sql).tokens);
  if (!d) throw new Error(`no definition in ${sql}`);
  return d;
}

describe('narrowing', () => {
  test.each([
    ['VARCHAR(255)', 'VARCHAR(100)', true],
    ['VARCHAR(100)', 'VARCHAR(255)', false],
    ['VARCHAR(255)', 'TEXT', false],
    ['TEXT', 'VARCHAR(255)', true],
    ['TEXT', 'MEDIUMTEXT', false],
    ['LONGTEXT', 'TEXT', true],
    ['CHAR(10)', 'VARCHAR(10)', false],
    ['character varying(50)', 'varchar', false],
    ['varchar', 'varchar(50)', true],
    ['BIGINT', 'INT', true],
    ['INT', 'BIGINT', false],
    ['INT', 'INT UNSIGNED', true],
    ['INT UNSIGNED', 'INT', true],
    ['INT UNSIGNED', 'BIGINT', false],
    ['TINYINT(1)', 'BOOLEAN', false],
    ['SMALLINT', 'integer', false],
    ['int4', 'int2', true],
    ['DECIMAL(10,2)', 'DECIMAL(12,2)', false],
    ['DECIMAL(10,2)', 'DECIMAL(10,4)', true],
    ['DECIMAL(10,2)', 'DECIMAL(10,1)', true],
    ['INT', 'DECIMAL(12,0)', false],
    ['INT', 'DECIMAL(8,0)', true],
    ['INT', 'DOUBLE', false],
    ['BIGINT', 'DOUBLE', true],
    ['FLOAT', 'DOUBLE PRECISION', false],
    ['DOUBLE', 'FLOAT', true],
    ["ENUM('a','b')", "ENUM('a','b','c')", false],
    ["ENUM('a','b','c')", "ENUM('a','c')", true],
    ["ENUM('draft','live')", 'VARCHAR(10)', false],
    ["ENUM('draft','live')", 'VARCHAR(4)', true],
    ['VARCHAR(10)', "ENUM('a')", true],
    ['DATETIME(6)', 'DATETIME', true],
    ['DATETIME', 'DATETIME(3)', false],
    ['TIMESTAMP', 'DATETIME', false],
    ['DATETIME', 'TIMESTAMP', true],
    ['DATETIME', 'DATE', true],
    ['timestamp', 'timestamp with time zone', true],
    ['JSON', 'JSONB', false],
    ['TEXT', 'JSON', true],
    ['VARBINARY(16)', 'BINARY(16)', false],
    ['BLOB', 'VARBINARY(255)', true],
    ['uuid', 'uuid', false],
    ['geometry', 'point', true],
    ['numeric', 'numeric(10,2)', true],
    ['INT', 'VARCHAR(255)', false],
    ['BIGINT', 'VARCHAR(10)', true],
    ['DECIMAL(10,2)', 'VARCHAR(12)', false],
    ['DATETIME', 'VARCHAR(32)', false],
    ['JSON', 'TEXT', true],
    ['JSON', 'LONGTEXT', false],
    ['VARCHAR(255)', 'INT', true],
  ])('%s → %s narrows: %s', (from, to, want) => {
    expect(narrowing(def(from), def(to)) !== undefined).toBe(want);
  });
});

describe('parseSqlColumnDef', () => {
  test('attributes', () => {
    expect(def('INT')).toMatchObject({ base: 'int', nullable: true, hasDefault: false, auto: false });
    expect(def('INT NOT NULL')).toMatchObject({ nullable: false, hasDefault: false });
    expect(def("VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' COMMENT 'NULL'")).toMatchObject({
      size: 20,
      nullable: false,
      hasDefault: true,
    });
    expect(def('INT DEFAULT NULL')).toMatchObject({ nullable: true, hasDefault: true });
    expect(def('BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY')).toMatchObject({ unsigned: true, auto: true, nullable: false });
    expect(def('serial')).toMatchObject({ base: 'int', auto: true, nullable: false });
    expect(def('INT GENERATED ALWAYS AS IDENTITY')).toMatchObject({ auto: true });
    expect(def('INT AS (a + b) STORED')).toMatchObject({ auto: true });
    expect(def('TIMESTAMP NOT NULL ON UPDATE CURRENT_TIMESTAMP')).toMatchObject({ hasDefault: false, nullable: false });
    expect(def('timestamp(3) with time zone')).toMatchObject({ base: 'timestamptz', size: 3 });
    expect(def('int[]')).toMatchObject({ base: 'int[]', family: 'other' });
    expect(parseSqlColumnDef(lexSql("'x'").tokens)).toBeUndefined();
  });
});

describe('nullabilityBreak', () => {
  const nn = typeDef('int', [], { nullable: false });
  test.each([
    [typeDef('int'), nn, 'NULL → NOT NULL without a default'],
    [typeDef('int', [], { nullable: false, hasDefault: true }), nn, 'removes the default of a NOT NULL column'],
    [typeDef('int', [], { nullable: false }), nn, undefined],
    [typeDef('int'), typeDef('int', [], { nullable: false, hasDefault: true }), undefined],
    [typeDef('int'), typeDef('int', [], { nullable: false, auto: true }), undefined],
    [undefined, nn, 'NOT NULL without a default'],
  ])('%#', (old, nw, want) => {
    expect(nullabilityBreak(old, nw)).toBe(want);
  });
});
