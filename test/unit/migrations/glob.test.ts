import { describe, expect, test } from 'vitest';
import { DEFAULT_MIGRATION_GLOBS, findMigrationFiles, globToRegExp, matchesGlob, sortMigrationPaths } from '../../../src/migrations/index.js';

describe('matchesGlob', () => {
  test.each([
    ['database/migrations/**/*.php', 'database/migrations/2024_01_01_000000_x.php', true],
    ['database/migrations/**/*.php', 'database/migrations/tenant/2024_x.php', true],
    ['database/migrations/**/*.php', 'database/migrations/a/b/c.php', true],
    ['database/migrations/**/*.php', 'database/migrations.php', false],
    ['database/migrations/**/*.php', 'vendor/x/database/migrations/a.php', false],
    ['database/migrations/**/*.php', 'database/migrations/a.php.bak', false],
    ['**/*.sql', 'a.sql', true],
    ['**/*.sql', 'a/b/c.sql', true],
    ['**', 'anything/at/all', true],
    ['db/**', 'db/x/y', true],
    ['db/**', 'db', true],
    ['db/**', 'dbx/y', false],
    ['*.sql', 'a.sql', true],
    ['*.sql', 'dir/a.sql', false],
    ['a/*/c', 'a/b/c', true],
    ['a/*/c', 'a/b/x/c', false],
    ['V?__*.sql', 'V1__init.sql', true],
    ['V?__*.sql', 'V10__init.sql', false],
    ['migrations/*.{sql,php}', 'migrations/x.php', true],
    ['migrations/*.{sql,php}', 'migrations/x.sql', true],
    ['migrations/*.{sql,php}', 'migrations/x.txt', false],
    ['{db,sql}/migrations/**/*.sql', 'sql/migrations/1.sql', true],
    ['{a,{b,c}}/x', 'c/x', true],
    ['{a,b/c}/x', 'b/c/x', true],
    ['[0-9]*.sql', '1_init.sql', true],
    ['[!0-9]*.sql', '1_init.sql', false],
    ['[!0-9]*.sql', 'init.sql', true],
    ['a**b.sql', 'axxb.sql', true],
    ['a**b.sql', 'a/b.sql', false],
    ['file(1).sql', 'file(1).sql', true],
    ['a+b.sql', 'a+b.sql', true],
    ['a+b.sql', 'aab.sql', false],
    ['x\\*.sql', 'x*.sql', true],
    ['x\\*.sql', 'xy.sql', false],
    ['{unclosed.sql', '{unclosed.sql', true],
    ['./migrations/*.sql', 'migrations/a.sql', true],
    ['migrations/*.sql', './migrations/a.sql', true],
  ])('%s ~ %s → %s', (glob, path, want) => {
    expect(matchesGlob(path, glob)).toBe(want);
  });

  test('compiled globs are cached', () => {
    expect(globToRegExp('a/**/b')).toBe(globToRegExp('a/**/b'));
  });
});

describe('findMigrationFiles', () => {
  const entries = [
    { path: 'database/migrations', type: 'd' },
    { path: 'database/migrations/2024_02_01_000000_b.php', type: 'f' },
    { path: 'database/migrations/2014_10_12_000000_create_users_table.php', type: 'f' },
    { path: 'database/migrations/2024_02_01_000000_b.php.orig', type: 'f' },
    { path: 'database/seeders/DatabaseSeeder.php', type: 'f' },
    { path: 'database/migrations/link.php', type: 'l' },
    { path: 'migrations/Version20240101000000.php', type: 'f' },
    { path: 'src/Migrations/Version20230101000000.php', type: 'f' },
    { path: 'db/migrations/V10__ten.sql', type: 'f' },
    { path: 'db/migrations/V2__two.sql', type: 'f' },
    { path: 'sql/migrations/0001.sql' },
    { path: 'vendor/laravel/framework/database/migrations/x.php', type: 'f' },
    { path: 'migrations/README.md', type: 'f' },
  ];

  test('default globs: Laravel, Doctrine/Symfony, plain SQL; only regular files; in run order', () => {
    expect(findMigrationFiles(entries)).toEqual([
      'sql/migrations/0001.sql',
      'database/migrations/2014_10_12_000000_create_users_table.php',
      'database/migrations/2024_02_01_000000_b.php',
      'db/migrations/V2__two.sql',
      'db/migrations/V10__ten.sql',
      'src/Migrations/Version20230101000000.php',
      'migrations/Version20240101000000.php',
    ]);
  });

  test('custom globs', () => {
    expect(findMigrationFiles(entries, ['db/**/*.sql'])).toEqual(['db/migrations/V2__two.sql', 'db/migrations/V10__ten.sql']);
    expect(findMigrationFiles(entries, [])).toEqual([]);
  });

  test('the defaults', () => {
    expect(DEFAULT_MIGRATION_GLOBS).toContain('database/migrations/**/*.php');
    expect(DEFAULT_MIGRATION_GLOBS).toContain('migrations/**/*.php');
    expect(DEFAULT_MIGRATION_GLOBS).toContain('src/Migrations/**/*.php');
    expect(DEFAULT_MIGRATION_GLOBS).toHaveLength(7);
    expect(Object.isFrozen(DEFAULT_MIGRATION_GLOBS)).toBe(true);
  });
});

describe('sortMigrationPaths', () => {
  test('by file name with numbers compared by value, then by path', () => {
    expect(sortMigrationPaths(['b/V10__x.sql', 'a/V9__x.sql', 'a/V010__y.sql', 'c/V1.1__x.sql', 'c/V1.10__x.sql', 'c/V1.2__x.sql'])).toEqual([
      'c/V1.1__x.sql',
      'c/V1.2__x.sql',
      'c/V1.10__x.sql',
      'a/V9__x.sql',
      'b/V10__x.sql',
      'a/V010__y.sql',
    ]);
  });
});
