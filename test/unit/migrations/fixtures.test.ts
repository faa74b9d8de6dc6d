/**
 * A corpus of real-world-looking migrations (fixtures/): each file alone, and in sequence where
 * earlier migrations tell the current column definitions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { scanMigration, scanMigrations, type Finding } from '../../../src/migrations/index.js';
import { lexSql } from '../../../src/migrations/sql-lex.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function load(rel: string): string {
  return readFileSync(join(FIXTURES, rel), 'utf8');
}

/** `line rule` for each finding, `+` after the rule when a marker allows it. */
function summary(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.line} ${f.rule}${f.allowed ? '+' : ''}`);
}

/** Each file scanned alone: expected `line rule` (`+`: allowed by a marker). */
const ALONE: Record<string, string[]> = {
  'laravel/2024_01_10_000000_create_orders_table.php': [],
  'laravel/2024_02_01_000000_add_columns_to_orders.php': ['15 add-column-not-null', '16 add-column-not-null', '18 add-column-not-null'],
  'laravel/2024_03_01_000000_drop_legacy.php': [
    '12 drop-table', '13 drop-table', '16 drop-column', '17 drop-column', '18 rename-column', '19 drop-column',
    '24 rename-table', '25 drop-column', '27 drop-column', '28 truncate',
  ],
  'laravel/2024_04_01_000000_change_columns.php': ['12 narrow-column', '14 modify-column', '15 modify-column', '19 modify-column'],
  'laravel/2024_05_01_000000_false_positives.php': [],
  'laravel/2024_06_01_000000_backfill_and_markers.php': [
    '21 drop-column+', '22 drop-column+', '23 marker-without-reason', '24 drop-column', '27 delete-without-where', '28 update-without-where',
  ],
  'laravel/2024_07_01_000000_allowed_file.php': ['12 drop-table+', '13 drop-table+'],
  'laravel/2024_08_01_000000_new_table_in_release.php': ['23 add-column-not-null'],
  'doctrine/Version20240115093000.php': [],
  'doctrine/Version20240220120000.php': [
    '24 drop-column', '24 rename-column', '25 narrow-column', '26 modify-column', '26 modify-column', '29 add-column-not-null', '33 drop-table',
  ],
  'doctrine/Version20240301080000.php': ['17 drop-table', '18 rename-table', '21 drop-column', '22 add-column-not-null'],
  'doctrine/Version20240410100000.php': [
    '19 drop-column', '20 update-without-where', '24 delete-without-where', '28 drop-column', '29 rename-column', '30 rename-table',
    '33 truncate+', '35 drop-table', '35 drop-table',
  ],
  'sql/V1__init.sql': [],
  'sql/V2__destructive.sql': [
    '3 drop-table', '4 drop-table', '5 drop-column', '8 drop-column', '9 rename-column', '10 rename-table', '11 truncate',
    '12 delete-without-where', '13 update-without-where', '14 drop-database', '15 drop-schema', '16 drop-view', '17 rename-table',
  ],
  'sql/V3__types.sql': [
    '2 modify-column', '3 modify-column', '4 modify-column', '5 modify-column', '7 modify-column', '8 modify-column', '9 modify-column',
    '10 add-column-not-null', '13 modify-column',
  ],
  'sql/V4__false_positives.sql': [],
  'sql/V5__postgres.sql': [
    '1 not-null', '2 drop-default', '4 modify-column', '5 rename-column', '6 drop-column', '8 add-column-not-null', '16 drop-column+',
  ],
};

describe('each fixture alone', () => {
  test('the table covers every fixture', () => {
    const all = ['laravel', 'doctrine', 'sql'].flatMap((d) => readdirSync(join(FIXTURES, d)).map((f) => `${d}/${f}`));
    expect(Object.keys(ALONE).sort()).toEqual(all.sort());
  });

  test.each(Object.entries(ALONE))('%s', (path, expected) => {
    const findings = scanMigration(path, load(path));
    expect(summary(findings)).toEqual(expected);
    for (const f of findings) {
      expect(f.path).toBe(path);
      expect(f.statement.length).toBeLessThanOrEqual(160);
      expect(f.statement).not.toMatch(/\n|^\s|\s$/);
      expect(f.message.length).toBeGreaterThan(20);
    }
  });
});

/** Files of one folder in sequence; only those matching `release` are in the release being deployed. */
const SEQUENCES: [folder: string, release: string, expected: string[]][] = [
  // V1 and V2 ran before: V3 is judged against their definitions
  ['sql', 'V3__', ['2 narrow-column', '5 narrow-column', '7 narrow-column', '8 not-null', '9 drop-default', '10 add-column-not-null', '13 modify-column']],
  // everything new in one release: tables created by it may be changed freely
  ['sql', 'V', ['3 drop-table', '4 drop-table', '11 truncate', '12 delete-without-where', '14 drop-database', '15 drop-schema', '16 drop-view', '13 modify-column',
    '1 not-null', '2 drop-default', '4 modify-column', '5 rename-column', '6 drop-column', '8 add-column-not-null', '16 drop-column+']],
  // Doctrine: the CHANGE of slug restates the V1 definition, the enum only grows
  ['doctrine', 'Version20240220', ['24 drop-column', '24 rename-column', '25 narrow-column', '29 add-column-not-null', '33 drop-table']],
  ['laravel', '2024_04', ['12 narrow-column', '14 modify-column', '19 modify-column']],
];

test('the SQL false-positive fixture is read statement by statement (DELIMITER blocks end)', () => {
  expect(lexSql(load('sql/V4__false_positives.sql')).statements).toHaveLength(19);
});

describe('fixtures in sequence', () => {
  test.each(SEQUENCES)('%s, release %s', (folder, release, expected) => {
    const files = readdirSync(join(FIXTURES, folder)).map((f) => ({ path: `${folder}/${f}`, text: load(`${folder}/${f}`) }));
    const findings = scanMigrations(files, { inRelease: (p) => p.slice(p.lastIndexOf('/') + 1).startsWith(release) });
    expect(summary(findings)).toEqual(expected);
  });

  test('messages name the tables, columns and types', () => {
    const files = readdirSync(join(FIXTURES, 'sql')).map((f) => ({ path: `sql/${f}`, text: load(`sql/${f}`) }));
    const byLine = new Map(scanMigrations(files, { inRelease: (p) => p.includes('V3__') }).map((f) => [f.line, f]));
    expect(byLine.get(2)!.message).toContain('members.email (VARCHAR(255) → VARCHAR(100))');
    expect(byLine.get(5)!.message).toContain("drops 'c'");
    expect(byLine.get(7)!.message).toContain('BIGINT UNSIGNED → INT UNSIGNED');
    expect(byLine.get(2)!.statement).toBe('ALTER TABLE members MODIFY email VARCHAR(100) NOT NULL');
  });
});

test('truncated files (unterminated strings, comments, heredocs, calls) never throw', () => {
  for (const path of Object.keys(ALONE)) {
    const text = load(path);
    for (let cut = 0; cut < text.length; cut += 13) {
      expect(() => scanMigration(path, text.slice(0, cut))).not.toThrow();
    }
  }
});
