/**
 * Issue 16: each miss and false alarm measured on real projects, as a minimal fixture. The live
 * release's migrations are scanned first (inRelease false) so the schema model knows the tables.
 */
import { describe, expect, test } from 'vitest';
import { guardVerdict, scanMigrations, type Finding } from '../../../src/migrations/index.js';

const laravel = (up: string): string => `<?php

use Illuminate\\Database\\Migrations\\Migration;
use Illuminate\\Database\\Schema\\Blueprint;
use Illuminate\\Support\\Facades\\DB;
use Illuminate\\Support\\Facades\\Schema;

return new class extends Migration
{
    public function up(): void
    {
${up}
    }
};
`;

const doctrine = (up: string): string => `<?php

namespace DoctrineMigrations;

use Doctrine\\DBAL\\Schema\\Schema;
use Doctrine\\DBAL\\Types\\Type;
use Doctrine\\DBAL\\Types\\Types;
use Doctrine\\Migrations\\AbstractMigration;

final class Version extends AbstractMigration
{
    public function up(Schema $schema): void
    {
${up}
    }
}
`;

/** [path, text, in this release]. Returns `file:line rule` of the findings in the release's files. */
function scan(files: [string, string, boolean][]): Finding[] {
  const inRelease = new Map(files.map(([p, , r]) => [p, r]));
  return scanMigrations(
    files.map(([path, text]) => ({ path, text })),
    { inRelease: (p) => inRelease.get(p) ?? true },
  );
}

const short = (fs: Finding[]): string[] => fs.map((f) => `${f.path.slice(f.path.lastIndexOf('/') + 1)}:${f.line} ${f.rule}`);

const USERS = laravel(`        Schema::create('users', function (Blueprint $table) {
            $table->id();
            $table->string('name', 100);
            $table->string('email');
            $table->date('born_on');
        });`);
const LIVE_USERS: [string, string, boolean] = ['database/migrations/2020_01_01_000000_create_users.php', USERS, false];

describe('misses', () => {
  test('a column added nullable, back-filled, then made NOT NULL in the same release (Laravel)', () => {
    const f = scan([
      LIVE_USERS,
      ['database/migrations/2024_01_01_000000_add_nick.php', laravel(`        Schema::table('users', function (Blueprint $table) {
            $table->string('nick', 100)->nullable();
        });
        DB::table('users')->update(['nick' => DB::raw('name')]);`), true],
      ['database/migrations/2024_01_02_000000_nick_required.php', laravel(`        Schema::table('users', function (Blueprint $table) {
            $table->string('nick', 100)->nullable(false)->change();
        });`), true],
    ]);
    expect(short(f)).toEqual(['2024_01_02_000000_nick_required.php:13 not-null']);
    expect(f[0]!.message).toMatch(/new in this release, so inserts from the live release, which leave it out, fail/);
    expect(f[0]!.verdict).toBe('destructive');
  });

  test('the same in SQL, in one file; with a default it is fine', () => {
    const live: [string, string, boolean] = ['migrations/V1__users.sql', 'CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL);', false];
    const bad = 'ALTER TABLE users ADD nick VARCHAR(100) NULL;\nUPDATE users SET nick = name;\nALTER TABLE users MODIFY nick VARCHAR(100) NOT NULL;\n';
    expect(short(scan([live, ['migrations/V2__nick.sql', bad, true]]))).toEqual(['V2__nick.sql:3 not-null']);
    const pg = 'ALTER TABLE users ADD COLUMN nick VARCHAR(100);\nUPDATE users SET nick = name;\nALTER TABLE users ALTER COLUMN nick SET NOT NULL;\n';
    expect(short(scan([live, ['migrations/V2__nick.sql', pg, true]]))).toEqual(['V2__nick.sql:3 not-null']);
    const ok = "ALTER TABLE users ADD nick VARCHAR(100) NULL;\nUPDATE users SET nick = name;\nALTER TABLE users MODIFY nick VARCHAR(100) NOT NULL DEFAULT '';\n";
    expect(scan([live, ['migrations/V2__nick.sql', ok, true]])).toEqual([]);
    // a new table is still free
    expect(scan([['migrations/V2__t.sql', 'CREATE TABLE t (a INT NULL);\nALTER TABLE t MODIFY a INT NOT NULL;', true]])).toEqual([]);
  });

  test('Doctrine Column setters on an existing column: setLength, setNotnull, setType', () => {
    const live: [string, string, boolean] = [
      'migrations/Version20200101000000.php',
      doctrine(`        $t = $schema->createTable('users');
        $t->addColumn('id', 'integer', ['autoincrement' => true]);
        $t->addColumn('email', 'string', ['length' => 255]);
        $t->addColumn('name', 'string', ['length' => 100, 'notnull' => false]);
        $t->addColumn('age', 'integer');`),
      false,
    ];
    const f = scan([
      live,
      ['migrations/Version20240101000000.php', doctrine(`        $schema->getTable('users')->getColumn('email')->setLength(64);
        $table = $schema->getTable('users');
        $table->getColumn('name')->setNotnull(true);
        $table->getColumn('age')->setType(Type::getType(Types::SMALLINT));
        $table->getColumn('email')->setNotnull(false); // widening: fine
        $table->changeColumn('name', ['length' => 50]);`), true],
    ]);
    expect(short(f)).toEqual([
      'Version20240101000000.php:14 narrow-column',
      'Version20240101000000.php:16 not-null',
      'Version20240101000000.php:17 narrow-column',
      'Version20240101000000.php:19 narrow-column',
    ]);
    expect(f[0]!.message).toMatch(/VARCHAR\(255\) → VARCHAR\(64\)/);
    expect(f[2]!.message).toMatch(/INT → SMALLINT/);
  });

  test('Doctrine setters on a column no earlier migration shows: NOT NULL is destructive, a length cannot be vouched for', () => {
    const f = scan([
      ['migrations/Version20240101000000.php', doctrine(`        $column = $schema->getTable('config')->getColumn('value');
        $column->setLength(64);
        $column->setNotnull(true);`), true],
    ]);
    expect(f.map((x) => `${x.line} ${x.rule} ${x.verdict}`)).toEqual(['15 not-null destructive', '15 modify-column cannot-vouch']);
  });

  test('SQL concatenated around a call with several arguments is not cut at the comma', () => {
    const f = scan([
      ['migrations/Version20240101000000.php', doctrine(`        $this->addSql('UPDATE ' . $this->getTable('config', true) . ' SET x = 1');
        $this->addSql('DELETE FROM ' . $this->getTable('log', true) . ' WHERE created < NOW()');
        $this->addSql(sprintf('ALTER TABLE %s DROP COLUMN %s', $this->getTable('users', true), 'legacy'));
        $sql = 'UPDATE ' . $this->prefix('a', 'b') . ' SET y = 2 WHERE id = 1';
        $this->addSql($sql);`), true],
    ]);
    expect(short(f)).toEqual(['Version20240101000000.php:14 update-without-where', 'Version20240101000000.php:16 drop-column']);
    expect(f[0]!.message).toMatch(/every row of \{\$this->getTable\(config\)\}/);
  });

  test('a column the live release has, re-declared in this release (IF NOT EXISTS, hasColumn), then renamed', () => {
    const f = scan([
      LIVE_USERS,
      ['database/migrations/2024_01_01_000000_ensure.php', laravel(`        Schema::table('users', function (Blueprint $table) {
            if (! Schema::hasColumn('users', 'email')) {
                $table->string('email')->nullable();
            }
        });`), true],
      ['database/migrations/2024_01_02_000000_rename.php', laravel(`        Schema::table('users', function (Blueprint $table) {
            $table->renameColumn('email', 'email_address');
        });`), true],
    ]);
    expect(short(f)).toEqual(['2024_01_02_000000_rename.php:13 rename-column']);
    const sql = scan([
      ['migrations/V1__users.sql', 'CREATE TABLE users (id INT, email VARCHAR(255));', false],
      ['migrations/V2__again.sql', 'CREATE TABLE IF NOT EXISTS users (id INT, email VARCHAR(255));\nALTER TABLE users ADD COLUMN IF NOT EXISTS email VARCHAR(255);\nALTER TABLE users RENAME COLUMN email TO mail;', true],
    ]);
    expect(short(sql)).toEqual(['V2__again.sql:3 rename-column']);
  });

  test('a column an earlier migration of this release created, renamed onto the name of a live column it replaces', () => {
    const f = scan([
      ['migrations/V1__users.sql', 'CREATE TABLE users (id INT, name VARCHAR(255) NULL);', false],
      ['migrations/V2__name2.sql', 'ALTER TABLE users ADD name2 VARCHAR(50) NULL;\nUPDATE users SET name2 = LEFT(name, 50);', true],
      ['migrations/V3__swap.sql', '-- php-deploy: allow-destructive replaced by name2 below\nALTER TABLE users DROP COLUMN name;\nALTER TABLE users RENAME COLUMN name2 TO name;', true],
    ]);
    expect(f.map((x) => `${x.path.slice(11)}:${x.line} ${x.rule}${x.allowed ? '+' : ''}`)).toEqual(['V3__swap.sql:2 drop-column+', 'V3__swap.sql:3 narrow-column']);
    expect(f[1]!.message).toMatch(/replaces users\.name with users\.name2, which is narrower \(VARCHAR\(255\) → VARCHAR\(50\)\)/);
    // renaming a column of this release that replaces nothing is harmless
    expect(scan([
      ['migrations/V1__users.sql', 'CREATE TABLE users (id INT);', false],
      ['migrations/V2__a.sql', 'ALTER TABLE users ADD nick VARCHAR(10) NULL;', true],
      ['migrations/V3__b.sql', 'ALTER TABLE users RENAME COLUMN nick TO nickname;', true],
    ])).toEqual([]);
  });
});

describe('false alarms', () => {
  test('date → dateTime is a widening', () => {
    const f = scan([
      LIVE_USERS,
      ['database/migrations/2024_01_01_000000_born_at.php', laravel(`        Schema::table('users', function (Blueprint $table) {
            $table->dateTime('born_on')->change();
        });`), true],
    ]);
    expect(f).toEqual([]);
    const sql = scan([
      ['migrations/V1.sql', 'CREATE TABLE ev (at DATE NULL);', false],
      ['migrations/V2.sql', 'ALTER TABLE ev MODIFY at DATETIME NULL;', true],
    ]);
    expect(sql).toEqual([]);
  });

  test('a table created in the same file under a computed name', () => {
    const f = scan([
      ['migrations/Version20240101000000.php', doctrine(`        $table = $schema->createTable($this->getTable('items'));
        $table->addColumn('id', 'integer', ['autoincrement' => true]);
        $table->addColumn('name', 'string', ['length' => 20]);
        $schema->createTable($this->prefix . 'tags')->addColumn('label', 'string');`), true],
    ]);
    expect(f).toEqual([]);
    // a computed name that is not created here is still judged
    const g = scan([['migrations/Version20240101000000.php', doctrine(`        $schema->getTable($this->getTable('items'))->addColumn('sku', 'string');`), true]]);
    expect(short(g)).toEqual(['Version20240101000000.php:14 add-column-not-null']);
  });

  test('UPDATE/DELETE without WHERE on a one-row version stamp table', () => {
    const f = scan([
      ['sql/pgsql/migrations/139.sql', 'ALTER TABLE ttrss_feeds ADD COLUMN x INT;\nUPDATE ttrss_version SET schema_version = 139;', false],
      ['sql/pgsql/migrations/140.sql', 'ALTER TABLE ttrss_feeds ADD COLUMN y INT;\nUPDATE ttrss_version SET schema_version = 140;', true],
      ['sql/pgsql/migrations/141.sql', 'UPDATE app_meta SET db_rev = 141;\nDELETE FROM schema_info;', true],
      ['sql/pgsql/migrations/142.sql', 'UPDATE app_meta SET db_rev = 142;\nUPDATE users SET active = 1;', true],
    ]);
    // app_meta: its name says nothing, but the second stamp of the same column is one; users is not
    expect(short(f)).toEqual(['141.sql:1 update-without-where', '142.sql:2 update-without-where']);
    const php = scan([['migrations/Version20240101000000.php', doctrine(`        $this->addSql("UPDATE schema_version SET version = '2.1'");`), true]]);
    expect(php).toEqual([]);
    // a row-dependent value, even in a version table, is an overwrite
    expect(short(scan([['m/V1.sql', 'UPDATE db_version SET v = v + 1;', true]]))).toEqual(['V1.sql:1 update-without-where']);
  });

  test('a change of a column whose previous definition is unknown is "cannot vouch", not destructive', () => {
    const f = scan([
      ['database/migrations/2024_01_01_000000_email.php', laravel(`        Schema::table('accounts', function (Blueprint $table) {
            $table->string('email', 191)->change();
        });`), true],
    ]);
    expect(f.map((x) => `${x.rule} ${x.verdict}`)).toEqual(['modify-column cannot-vouch']);
    const v = guardVerdict(f, 'forbid');
    expect(v.refused).toBe(false);
    expect(v.unknownLines[0]).toBe('cannot vouch for 1 migration statement:');
  });

  test('dynamic SQL is "cannot vouch"; SQL in a variable the file shows is read', () => {
    const f = scan([
      ['migrations/Version20240101000000.php', doctrine(`        foreach ($this->tables() as $t) {
            $this->addSql($this->platform->getTruncateTableSQL($t));
        }
        $sql = 'ALTER TABLE users DROP COLUMN legacy';
        $this->addSql($sql);
        $queries = ['UPDATE users SET a = 1 WHERE id = 2', 'alter table orders drop column note'];
        foreach ($queries as $q) {
            $this->connection->executeStatement($q);
        }`), true],
    ]);
    expect(f.map((x) => `${x.line} ${x.rule} ${x.verdict}`)).toEqual([
      '15 dynamic-sql cannot-vouch',
      '17 drop-column destructive',
      '19 drop-column destructive',
    ]);
  });

  test('SQLite table rebuilds (copy, drop, re-create or rename into place) are judged column by column', () => {
    const live: [string, string, boolean] = ['migrations/V1__entry.sql', 'CREATE TABLE entry (id INTEGER PRIMARY KEY, title TEXT NULL, reading_time INTEGER DEFAULT NULL, lang VARCHAR(20) NULL);', false];
    const keep = `CREATE TEMPORARY TABLE __temp__entry AS SELECT id, title, reading_time, lang FROM entry;
DROP TABLE entry;
CREATE TABLE entry (id INTEGER PRIMARY KEY, title TEXT NULL, reading_time INTEGER DEFAULT NULL, lang VARCHAR(20) NULL, CONSTRAINT fk FOREIGN KEY (id) REFERENCES x (id));
INSERT INTO entry (id, title, reading_time, lang) SELECT id, title, reading_time, lang FROM __temp__entry;
DROP TABLE __temp__entry;`;
    expect(scan([live, ['migrations/V2__fk.sql', keep, true]])).toEqual([]);
    const tighten = keep.replace('reading_time INTEGER DEFAULT NULL, lang VARCHAR(20) NULL, CONSTRAINT', 'reading_time INTEGER NOT NULL, lang VARCHAR(5) NULL, CONSTRAINT');
    expect(short(scan([live, ['migrations/V2__t.sql', tighten, true]]))).toEqual(['V2__t.sql:3 not-null', 'V2__t.sql:3 narrow-column']);
    const renamed = `CREATE TABLE entry_new (id INTEGER PRIMARY KEY, title TEXT NULL, reading_time INTEGER DEFAULT NULL);
INSERT INTO entry_new SELECT id, title, reading_time FROM entry;
DROP TABLE entry;
ALTER TABLE entry_new RENAME TO entry;`;
    expect(short(scan([live, ['migrations/V2__r.sql', renamed, true]]))).toEqual(['V2__r.sql:4 drop-column']);
    // dropped and re-created without copying the rows: the data is gone
    expect(short(scan([live, ['migrations/V2__d.sql', 'DROP TABLE entry;\nCREATE TABLE entry (id INTEGER PRIMARY KEY);', true]]))).toEqual(['V2__d.sql:1 drop-table']);
  });

  test('NOT NULL followed by a default for the same column in the same migration', () => {
    const f = scan([
      ['sql/pgsql/migrations/127.sql', 'CREATE TABLE ttrss_feeds (id SERIAL PRIMARY KEY);', false],
      ['sql/pgsql/migrations/128.sql', "begin;\nalter table ttrss_feeds add column feed_language varchar(100);\nupdate ttrss_feeds set feed_language = '';\nalter table ttrss_feeds alter column feed_language set not null;\nalter table ttrss_feeds alter column feed_language set default '';\ncommit;", true],
      ['sql/pgsql/migrations/136.sql', 'alter table ttrss_feeds add column created timestamp;\nupdate ttrss_feeds set created = NOW();\nalter table ttrss_feeds alter column created set not null;', true],
    ]);
    expect(short(f)).toEqual(['136.sql:3 not-null']);
  });
});
