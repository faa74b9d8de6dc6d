/**
 * Tricky inputs, one at a time. Expectations name the line by a unique piece of its text.
 */
import { describe, expect, test } from 'vitest';
import { scanMigration, scanMigrations, type Finding } from '../../../src/migrations/index.js';

interface Case {
  name: string;
  path?: string;
  src: string;
  /** [rule, unique text of the finding's line]; a `+` after the rule: allowed by a marker. */
  expect: [string, string][];
}

function lineOf(src: string, needle: string): number {
  const lines = src.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`"${needle}" is on ${hits.length} lines`);
  return hits[0]!;
}

function run(c: Case): { got: string[]; want: string[]; findings: Finding[] } {
  const path = c.path ?? 'database/migrations/2024_01_01_000000_x.php';
  const findings = scanMigration(path, c.src);
  const got = findings.map((f) => `${f.line} ${f.rule}${f.allowed ? '+' : ''}`);
  const want = c.expect.map(([rule, needle]) => `${lineOf(c.src, needle)} ${rule}`);
  return { got, want, findings };
}

/** A Laravel migration with the given up() and down() bodies. */
function laravel(up: string, down = ''): string {
  return `<?php

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

    public function down(): void
    {
${down}
    }
};
`;
}

/** A Doctrine migration with the given up() and down() bodies. */
function doctrine(up: string, down = ''): string {
  return `<?php

declare(strict_types=1);

namespace DoctrineMigrations;

use Doctrine\\DBAL\\Schema\\Schema;
use Doctrine\\Migrations\\AbstractMigration;

final class Version20240501000000 extends AbstractMigration
{
    public function up(Schema $schema): void
    {
${up}
    }

    public function down(Schema $schema): void
    {
${down}
    }
}
`;
}

const PHP_CASES: Case[] = [
  {
    name: 'PHP 8 attributes are code, # starts a comment',
    src: doctrine(`        #[Deprecated] $this->addSql('DROP TABLE a_attr');
        # $this->addSql('DROP TABLE b_comment');`),
    expect: [['drop-table', 'a_attr']],
  },
  {
    name: '?> ends a // comment; what follows is inline HTML',
    src: `<?php // setup ?> DROP TABLE html_text; <?php
$this->addSql('DROP TABLE real_one');`,
    expect: [['drop-table', 'real_one']],
  },
  {
    name: 'escaped quotes, and SQL keywords inside SQL string literals',
    src: doctrine(`        $this->addSql('UPDATE notes SET body = \\'it\\'\\'s; DROP TABLE x\\' WHERE id = 1');
        $this->addSql("UPDATE notes SET body = \\"DROP TABLE y; --\\" WHERE id = 2");
        $this->addSql('ALTER TABLE notes DROP COLUMN \`drop\`'); // the column is named drop`),
    expect: [['drop-column', 'the column is named drop']],
  },
  {
    name: 'concatenation, interpolation and sprintf placeholders',
    src: doctrine(`        $this->addSql('ALTER TABLE ' . $this->table
            . ' DROP COLUMN legacy_concat');
        $this->addSql("ALTER TABLE {$this->table} DROP COLUMN legacy_interp");
        $this->addSql("ALTER TABLE $table DROP COLUMN legacy_var");
        $this->addSql(sprintf('ALTER TABLE %s DROP COLUMN %s', $t, 'legacy_sprintf'));
        $this->addSql('ALTER TABLE ' . self::TABLE . '_archive RENAME TO ' . self::TABLE . '_old');`),
    expect: [
      ['drop-column', 'DROP COLUMN legacy_concat'],
      ['drop-column', 'legacy_interp'],
      ['drop-column', 'legacy_var'],
      ['drop-column', 'legacy_sprintf'],
      ['rename-table', '_archive RENAME TO'],
    ],
  },
  {
    name: 'heredoc and nowdoc SQL, several statements, markers as SQL comments inside',
    src: doctrine(`        $this->addSql(<<<SQL
            ALTER TABLE {$this->t} ADD nick VARCHAR(10) NULL;
            -- php-deploy: allow-destructive the flag was never read
            ALTER TABLE users DROP COLUMN flag_heredoc;
            ALTER TABLE users DROP COLUMN other_heredoc;
            SQL);
        $this->addSql(<<<'EOT'
            drop table nowdoc_table
            EOT
        );`),
    expect: [
      ['drop-column+', 'flag_heredoc'],
      ['drop-column', 'other_heredoc'],
      ['drop-table', 'drop table nowdoc_table'],
    ],
  },
  {
    name: 'SQL in strings that are not passed to a call: only capitalised destructive SQL counts',
    src: doctrine(`        $sql = 'ALTER TABLE users DROP COLUMN via_variable';
        $this->addSql($sql);
        $this->write('Dropping the column: DROP TABLE is not done here');
        $this->warnIf(true, 'delete from the cache first');
        $note = "Renaming table users";
        $labels = ['drop_table' => 'Drop table', 'truncate' => 'TRUNCATE'];`),
    expect: [['drop-column', 'via_variable']],
  },
  {
    name: 'other database calls taking SQL',
    src: laravel(`        DB::connection('legacy')->statement('DROP TABLE conn_statement');
        DB::unprepared("SET FOREIGN_KEY_CHECKS=0; TRUNCATE users_unprepared; SET FOREIGN_KEY_CHECKS=1;");
        DB::delete('delete from sessions_delete');
        DB::update('update users set votes = 100 where name = ?', ['John']);
        $this->connection->executeStatement('ALTER TABLE t RENAME COLUMN a TO b_exec');`),
    expect: [
      ['drop-table', 'conn_statement'],
      ['truncate', 'users_unprepared'],
      ['delete-without-where', 'sessions_delete'],
      ['rename-column', 'b_exec'],
    ],
  },
  {
    name: 'Laravel: closures with use(), arrow functions, connection(), other variable names',
    src: laravel(`        Schema::connection('mysql2')->dropIfExists('conn_table');
        Schema::table('users', function (Blueprint $t) use ($columns) {
            if ($columns) {
                $t->dropColumn('in_if');
            }
            $t->string('nick')->nullable()->after('name');
        });
        Schema::table('users', static fn (Blueprint $bp) => $bp->dropColumn('arrow'));
        Schema::whenTableHasColumn('users', 'old', function (Blueprint $table) {
            $table->dropColumn('when_has');
        });`),
    expect: [
      ['drop-table', 'conn_table'],
      ['drop-column', 'in_if'],
      ['drop-column', "dropColumn('arrow')"],
      ['drop-column', 'when_has'],
    ],
  },
  {
    name: 'Laravel: column helpers that add several or nullable columns',
    src: laravel(`        Schema::table('comments', function (Blueprint $table) {
            $table->morphs('commentable');
            $table->nullableMorphs('author');
            $table->timestamps();
            $table->softDeletes();
            $table->rememberToken();
            $table->uuid('public_id')->nullable();
            $table->enum('state', ['a', 'b'])->default('a');
            $table->unsignedBigInteger('counter')->default(0);
            $table->timestamp('seen_at')->useCurrent();
            $table->integer('total')->storedAs('a + b');
            $table->id('other_id');
            $table->json('meta');
        });`),
    expect: [
      ['add-column-not-null', "morphs('commentable')"],
      ['add-column-not-null', "morphs('commentable')"],
      ['add-column-not-null', "json('meta')"],
    ],
  },
  {
    name: 'Laravel: drop helpers',
    src: laravel(`        Schema::table('posts', function (Blueprint $table) {
            $table->dropTimestamps();
            $table->dropMorphs('taggable');
            $table->dropConstrainedForeignId('user_id');
            $table->dropRememberToken();
            $table->dropForeign(['team_id']);
            $table->dropPrimary();
            $table->dropUnique(['slug']);
        });`),
    expect: [
      ['drop-column', 'dropTimestamps'],
      ['drop-column', 'dropMorphs'],
      ['drop-column', 'dropConstrainedForeignId'],
      ['drop-column', 'dropRememberToken'],
    ],
  },
  {
    name: 'Laravel: ->change() judged against down(), a rename inside Blueprint, query builder',
    src: laravel(
      `        Schema::table('users', function (Blueprint $table) {
            $table->string('name', 100)->nullable()->change();
            $table->string('email', 100)->change();
            $table->integer('age')->nullable()->change();
            $table->rename('members');
        });
        DB::table('users')->truncate();
        DB::table('users')->whereNull('name')->update(['name' => '']);
        DB::table('users')->update(['age' => 0]);
        DB::table('logs')->delete();
        DB::table('logs')->delete(5);`,
      `        Schema::table('users', function (Blueprint $table) {
            $table->string('name', 50)->nullable()->change();
            $table->string('email', 100)->nullable()->change();
            $table->smallInteger('age')->nullable()->change();
        });`,
    ),
    expect: [
      ['not-null', "$table->string('email', 100)->change();"],
      ['rename-table', "rename('members')"],
      ['truncate', "DB::table('users')->truncate()"],
      ['update-without-where', "update(['age' => 0])"],
      ['delete-without-where', "DB::table('logs')->delete();"],
    ],
  },
  {
    name: 'Doctrine schema API; down(), preDown() and postDown() are not judged',
    src: `<?php
final class Version1 extends AbstractMigration
{
    public function up(Schema $schema): void
    {
        $schema->getTable('users')->dropColumn('api_direct');
        $t = $schema->getTable('posts');
        $t->renameColumn('body', 'content');
        $t->changeColumn('title', ['length' => 100]);
        $t->addColumn('lang', 'string', ['length' => 2, 'notnull' => false]);
        $t->addColumn('flag', 'boolean')->setDefault(false);
    }

    public function preDown(Schema $schema): void { $this->addSql('DELETE FROM posts'); }

    public function down(Schema $schema): void
    {
        $schema->dropTable('users');
        $this->addSql('TRUNCATE posts');
        $schema->getTable('posts')->dropColumn('lang');
    }

    public function postDown(Schema $schema): void
    {
        $this->addSql('DROP TABLE tmp');
    }
}
`,
    expect: [
      ['drop-column', 'api_direct'],
      ['rename-column', "renameColumn('body'"],
      ['modify-column', 'changeColumn'],
    ],
  },
  {
    name: 'Yii/Phinx style: safeDown is the backward direction, execute() takes SQL',
    src: `<?php
class m240101_000000_x extends Migration
{
    public function safeUp()
    {
        $this->execute('ALTER TABLE user DROP COLUMN yii_col');
    }

    public function safeDown()
    {
        $this->execute('DROP TABLE user');
    }
}
`,
    expect: [['drop-column', 'yii_col']],
  },
  {
    name: 'braces and quotes inside strings and comments do not confuse method bodies',
    src: laravel(
      `        $x = '}'; // }
        /* { */ $y = "{";
        Schema::drop('after_braces');`,
      `        $z = '{';
        Schema::drop('in_down');`,
    ),
    expect: [['drop-table', 'after_braces']],
  },
];

const MARKER_CASES: Case[] = [
  {
    name: 'markers: same line, lines above (comment block), block comment, colon before the reason',
    src: laravel(`        // php-deploy: allow-destructive sessions are recreated on login
        // (see ticket 42)
        Schema::drop('m_block');
        Schema::drop('m_same'); /* php-deploy: allow-destructive: moved to redis */
        # php-deploy: allow-destructive unused since 2.0
        Schema::drop('m_hash');`),
    expect: [
      ['drop-table+', 'm_block'],
      ['drop-table+', 'm_same'],
      ['drop-table+', 'm_hash'],
    ],
  },
  {
    name: 'markers do not reach across a blank line, code, or into the next statement',
    src: laravel(`        // php-deploy: allow-destructive too far away

        Schema::drop('m_blank');
        Schema::drop('m_prev'); // php-deploy: allow-destructive only for m_prev
        Schema::drop('m_next');
        // php-deploy: allow-destructive above a statement that is not destructive
        $x = 1;
        Schema::drop('m_after_code');`),
    expect: [
      ['drop-table', 'm_blank'],
      ['drop-table+', 'm_prev'],
      ['drop-table', 'm_next'],
      ['drop-table', 'm_after_code'],
    ],
  },
  {
    name: 'a marker above Schema::table covers the statements in its closure',
    src: laravel(`        // php-deploy: allow-destructive the old columns were copied in 3.0
        Schema::table('users', function (Blueprint $table) {
            $table->dropColumn('m_a');
            $table->dropColumn('m_b');
        });`),
    expect: [
      ['drop-column+', 'm_a'],
      ['drop-column+', 'm_b'],
    ],
  },
  {
    name: 'a marker inside a closure covers only its statement',
    src: laravel(`        Schema::table('users', function (Blueprint $table) {
            // php-deploy: allow-destructive m_c is unused
            $table->dropColumn('m_c');
            $table->dropColumn('m_d');
        });`),
    expect: [
      ['drop-column+', "dropColumn('m_c')"],
      ['drop-column', 'm_d'],
    ],
  },
  {
    name: 'markers without a reason, and a marker inside a string, allow nothing',
    src: laravel(`        Schema::drop('m_noreason'); // php-deploy: allow-destructive
        // php-deploy: allow-destructive:   --
        Schema::drop('m_punct');
        Schema::drop('m_string'); $s = 'php-deploy: allow-destructive it is in a string';`),
    expect: [
      ['drop-table', 'm_noreason'],
      ['marker-without-reason', 'm_noreason'],
      ['marker-without-reason', 'allow-destructive:   --'],
      ['drop-table', 'm_punct'],
      ['drop-table', 'm_string'],
    ],
  },
  {
    name: 'a file marker after line 20 counts for nothing',
    src: laravel(`        Schema::drop('late_file');
        $a = 1;
        $b = 2;
        $c = 3;
        $d = 4;
        $e = 5;
        $f = 6;
        $g = 7;
        $h = 8;
        // php-deploy: allow-destructive-file too late here`),
    expect: [
      ['drop-table', 'late_file'],
      ['misplaced-marker', 'too late here'],
    ],
  },
  {
    name: 'a file marker without a reason',
    path: 'migrations/001.sql',
    src: `-- php-deploy: allow-destructive-file
DROP TABLE f_noreason;`,
    expect: [
      ['marker-without-reason', 'allow-destructive-file'],
      ['drop-table', 'f_noreason'],
    ],
  },
  {
    name: 'SQL file markers',
    path: 'migrations/002.sql',
    src: `-- php-deploy: allow-destructive the archive moved to S3
DROP TABLE s_above;
DROP TABLE s_same; -- php-deploy: allow-destructive replaced by s_new
DROP TABLE s_next;
/* php-deploy: allow-destructive multi
   line comment */
ALTER TABLE t
  DROP COLUMN s_multi;`,
    expect: [
      ['drop-table+', 's_above'],
      ['drop-table+', 's_same'],
      ['drop-table', 's_next'],
      ['drop-column+', 's_multi'],
    ],
  },
];

const SQL_CASES: Case[] = [
  {
    name: 'lower case, mixed case, quoted identifiers',
    path: 'db/migrations/1.sql',
    src: `drop table if exists "Quoted"."Table";
Alter Table \`users\` Drop Column \`Email\`;
alter table [dbo].[x] drop column y_brackets;`,
    expect: [
      ['drop-table', 'drop table if exists'],
      ['drop-column', 'Drop Column'],
      ['drop-column', 'y_brackets'],
    ],
  },
  {
    name: 'dollar-quoted bodies, executable comments, DO blocks',
    path: 'db/migrations/2.sql',
    src: `/*!40101 SET NAMES utf8mb4 */;
CREATE FUNCTION f() RETURNS void AS $body$ BEGIN DROP TABLE inside_fn; END $body$ LANGUAGE plpgsql;
DO $$ BEGIN TRUNCATE inside_do; END $$;
TRUNCATE after_do;`,
    expect: [['truncate', 'after_do']],
  },
  {
    name: 'CTEs, multi-table deletes, LIMIT without WHERE',
    path: 'db/migrations/3.sql',
    src: `WITH old AS (SELECT id FROM t WHERE x < 1) DELETE FROM t_cte;
DELETE t1 FROM t1 INNER JOIN t2 ON t1.id = t2.id;
DELETE FROM t_limit LIMIT 100;
UPDATE t_where SET a = 1
WHERE b = 2;`,
    expect: [
      ['delete-without-where', 't_cte'],
      ['delete-without-where', 't_limit'],
    ],
  },
  {
    name: 'safe additions: generated, serial, identity, defaults; backfill of a new column',
    path: 'db/migrations/4.sql',
    src: `ALTER TABLE t ADD COLUMN full_name VARCHAR(200) GENERATED ALWAYS AS (CONCAT(a, b)) STORED NOT NULL;
ALTER TABLE t ADD COLUMN n SERIAL;
ALTER TABLE t ADD COLUMN i INT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE t ADD COLUMN d INT NOT NULL DEFAULT 0, ADD e TEXT;
ALTER TABLE t ADD (f INT NULL, g INT NOT NULL);
ALTER TABLE t ADD CONSTRAINT c UNIQUE (d), ADD INDEX idx (e(10)), ADD PRIMARY KEY (id);
ALTER TABLE t ADD COLUMN slug VARCHAR(100) NULL;
UPDATE t SET slug = LOWER(name);
UPDATE t SET slug = LOWER(name), name = 'x';`,
    expect: [
      ['add-column-not-null', 'ADD (f INT NULL, g INT NOT NULL)'],
      ['update-without-where', "name = 'x'"],
    ],
  },
  {
    name: 'temporary tables are never used by the live release; a rebuild of a table no earlier migration shows cannot be vouched for',
    path: 'db/migrations/6.sql',
    src: `CREATE TEMPORARY TABLE __temp__user AS SELECT id, email FROM user;
DROP TABLE user;
CREATE TABLE user (id INTEGER NOT NULL, email VARCHAR(180) NOT NULL, PRIMARY KEY(id));
INSERT INTO user (id, email) SELECT id, email FROM __temp__user;
DROP TABLE __temp__user;`,
    expect: [['modify-column', 'CREATE TABLE user']],
  },
  {
    name: 'routines with BEGIN … END and DELIMITER',
    path: 'db/migrations/5.sql',
    src: `DELIMITER //
CREATE PROCEDURE cleanup()
BEGIN
  DELETE FROM logs_in_proc;
  CASE WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE;
END //
DELIMITER ;
CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW BEGIN DELETE FROM q_in_trigger; END;
DELETE FROM after_routines;`,
    expect: [['delete-without-where', 'after_routines']],
  },
];

describe('PHP', () => {
  test.each(PHP_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { got, want } = run(c);
    expect(got).toEqual(want);
  });
});

describe('markers', () => {
  test.each(MARKER_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { got, want } = run(c);
    expect(got).toEqual(want);
  });

  test('the reason is kept', () => {
    const f = scanMigration('m.sql', 'DROP TABLE x; -- php-deploy: allow-destructive   replaced by y  ');
    expect(f[0]!.allowed).toEqual({ reason: 'replaced by y' });
  });

  test('a marker above a loop covers the SQL strings in it, and not the statement after it', () => {
    const src = doctrine(`        // php-deploy: allow-destructive scratch tables of the importer
        foreach (['DROP TABLE tmp_a', 'DROP TABLE tmp_b'] as $sql) {
            $this->addSql($sql);
        }
        $this->addSql('DROP TABLE tmp_c');`);
    expect(scanMigration('migrations/Version1.php', src).map((f) => `${f.rule}${f.allowed ? '+' : ''}: ${f.statement}`)).toEqual([
      'drop-table+: DROP TABLE tmp_a',
      'drop-table+: DROP TABLE tmp_b',
      'drop-table: DROP TABLE tmp_c',
    ]);
  });

  test('a marker without a reason says what to write', () => {
    const f = scanMigration('m.sql', '-- php-deploy: allow-destructive\nDROP TABLE x;');
    const m = f.find((x) => x.rule === 'marker-without-reason')!;
    expect(m.message).toMatch(/needs a reason/);
    expect(m.line).toBe(1);
  });
});

describe('SQL', () => {
  test.each(SQL_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { got, want } = run(c);
    expect(got).toEqual(want);
  });

  test('statements are one line, comments dropped, at most 160 characters', () => {
    const cols = Array.from({ length: 40 }, (_, i) => `DROP COLUMN c${i}`).join(',\n  ');
    const [f] = scanMigration('x.sql', `ALTER TABLE t -- trailing comment\n  ${cols};`);
    expect(f!.statement.length).toBe(160);
    expect(f!.statement.endsWith('…')).toBe(true);
    expect(f!.statement.startsWith('ALTER TABLE t DROP COLUMN c0, DROP COLUMN c1,')).toBe(true);
  });

  test('a file without .sql/.php extension is read as PHP when it starts with <?php', () => {
    expect(scanMigration('migrations/x.inc', "<?php $this->addSql('DROP TABLE a');").map((f) => f.rule)).toEqual(['drop-table']);
    expect(scanMigration('migrations/x.txt', 'DROP TABLE a;').map((f) => f.rule)).toEqual(['drop-table']);
  });
});

describe('schema model across files', () => {
  test('a column added in an earlier file of the release may be dropped; one from a deployed file may not', () => {
    const files = [
      { path: 'migrations/001.sql', text: 'CREATE TABLE t (a INT NULL);' },
      { path: 'migrations/002.sql', text: 'ALTER TABLE t ADD COLUMN b INT NULL;' },
      { path: 'migrations/003.sql', text: 'ALTER TABLE t DROP COLUMN b;\nALTER TABLE t DROP COLUMN a;' },
    ];
    const f = scanMigrations(files, { inRelease: (p) => p !== 'migrations/001.sql' });
    expect(f.map((x) => `${x.path}:${x.line} ${x.rule}`)).toEqual(['migrations/003.sql:2 drop-column']);
  });

  test('files run in framework order, not in the order given', () => {
    const files = [
      { path: 'm/V10__drop.sql', text: 'ALTER TABLE t DROP COLUMN a;' },
      { path: 'm/V2__create.sql', text: 'CREATE TABLE t (a INT);' },
    ];
    expect(scanMigrations(files)).toEqual([]);
    expect(scanMigrations(files, { inRelease: (p) => p.includes('V10') }).map((f) => f.rule)).toEqual(['drop-column']);
  });

  test('renames carry definitions along', () => {
    const files = [
      { path: 'm/1.sql', text: 'CREATE TABLE t (a VARCHAR(50) NOT NULL);' },
      { path: 'm/2.sql', text: 'ALTER TABLE t RENAME COLUMN a TO b;\nRENAME TABLE t TO u;' },
      { path: 'm/3.sql', text: 'ALTER TABLE u MODIFY b VARCHAR(40) NOT NULL;\nALTER TABLE u MODIFY b VARCHAR(60) NOT NULL;' },
    ];
    const f = scanMigrations(files, { inRelease: (p) => p === 'm/3.sql' });
    expect(f.map((x) => `${x.line} ${x.rule}`)).toEqual(['1 narrow-column']);
  });

  test('Laravel create then SQL change', () => {
    const files = [
      {
        path: 'database/migrations/2024_01_01_000000_a.php',
        text: `<?php Schema::create('t', function (Blueprint $table) { $table->string('code', 20); $table->bigInteger('n'); });`,
      },
      { path: 'database/migrations/2024_01_02_000000_b.sql', text: 'ALTER TABLE t MODIFY code VARCHAR(10) NOT NULL;\nALTER TABLE t MODIFY n INT NOT NULL;' },
    ];
    const f = scanMigrations(files, { inRelease: (p) => p.endsWith('.sql') });
    expect(f.map((x) => `${x.line} ${x.rule}`)).toEqual(['1 narrow-column', '2 narrow-column']);
  });
});
