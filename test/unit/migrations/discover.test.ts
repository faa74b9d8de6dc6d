/**
 * Discovery: migrations are found where projects keep them (by configuration, base class and
 * per-driver SQL folders), and candidates that are not migrations are skipped with why.
 */
import { describe, expect, test } from 'vitest';
import { describeDiscovery, discoverMigrations, migrationClass, scanMigrations } from '../../../src/migrations/index.js';

const laravel = (body = "Schema::create('t', function (Blueprint $t) { $t->id(); });"): string => `<?php

use Illuminate\\Database\\Migrations\\Migration;
use Illuminate\\Database\\Schema\\Blueprint;
use Illuminate\\Support\\Facades\\Schema;

return new class extends Migration
{
    public function up(): void
    {
        ${body}
    }
};
`;

const doctrine = (ns: string, cls: string, body = "$this->addSql('CREATE TABLE t (id INT)');"): string => `<?php

declare(strict_types=1);

namespace ${ns};

use Doctrine\\DBAL\\Schema\\Schema;
use Doctrine\\Migrations\\AbstractMigration;

final class ${cls} extends AbstractMigration
{
    public function up(Schema $schema): void
    {
        ${body}
    }
}
`;

function discover(files: Record<string, string>, opts = {}) {
  return discoverMigrations(Object.keys(files), (p) => files[p], opts);
}

describe('discoverMigrations', () => {
  test('Laravel: database/migrations, and a module folder recognised by the base class', () => {
    const d = discover({
      'database/migrations/2024_01_01_000000_create_posts.php': laravel(),
      'Modules/Blog/Database/Migrations/2024_02_01_000000_create_blog.php': laravel(),
      'app/Models/Post.php': '<?php class Post extends Model {}',
      'vendor/laravel/framework/src/Illuminate/Database/Migrations/2014_10_12_000000_create_users_table.php': laravel(),
    });
    expect(d.files).toEqual([
      'database/migrations/2024_01_01_000000_create_posts.php',
      'Modules/Blog/Database/Migrations/2024_02_01_000000_create_blog.php',
    ]);
    expect(d.groups.find((g) => g.dir === 'Modules/Blog/Database/Migrations')?.how).toMatch(/Laravel migration classes \(extend Migration\)/);
    expect(d.skipped).toEqual([
      { path: 'vendor/laravel/framework/src/Illuminate/Database/Migrations/2014_10_12_000000_create_users_table.php', reason: 'third-party package (vendor/)' },
    ]);
  });

  test('Symfony app: the folder doctrine_migrations.yaml names', () => {
    const d = discover({
      'config/packages/doctrine_migrations.yaml': `doctrine_migrations:
    migrations_paths:
        # namespace is arbitrary but should be different from App\\Migrations
        'DoctrineMigrations': '%kernel.project_dir%/src/DoctrineMigrations'
    enable_profiler: false
`,
      'src/DoctrineMigrations/Version20240101000000.php': doctrine('DoctrineMigrations', 'Version20240101000000'),
      'src/DoctrineMigrations/Version20240201000000.php': doctrine('DoctrineMigrations', 'Version20240201000000'),
      'src/Controller/HomeController.php': '<?php class HomeController extends AbstractController {}',
    });
    expect(d.files).toEqual(['src/DoctrineMigrations/Version20240101000000.php', 'src/DoctrineMigrations/Version20240201000000.php']);
    expect(describeDiscovery(d)).toEqual([
      'migrations: 2 in src/DoctrineMigrations/ (Doctrine migration classes (extend AbstractMigration); config/packages/doctrine_migrations.yaml migrations_paths)',
    ]);
  });

  test('Symfony: migrations_paths in PHP config and composer.json autoload of a Migrations namespace', () => {
    const d = discover({
      'config/packages/doctrine_migrations.php': `<?php
return static function (ContainerConfigurator $c): void {
    $c->extension('doctrine_migrations', ['migrations_paths' => ['App\\\\Schema' => '%kernel.project_dir%/db/schema']]);
};`,
      'db/schema/Version1.php': doctrine('App\\Schema', 'Version1'),
      'composer.json': JSON.stringify({ autoload: { 'psr-4': { 'App\\': 'src/', 'Acme\\Migrations\\': 'lib/acme-migrations/' } } }),
      'lib/acme-migrations/Version2.php': doctrine('Acme\\Migrations', 'Version2'),
    });
    expect(d.files).toEqual(['db/schema/Version1.php', 'lib/acme-migrations/Version2.php']);
    expect(d.groups.map((g) => g.how)).toEqual([
      'Doctrine migration classes (extend AbstractMigration); config/packages/doctrine_migrations.php migrations_paths',
      'Doctrine migration classes (extend AbstractMigration); composer.json autoload Acme\\Migrations',
    ]);
  });

  test('Symfony bundles and app/migrations, app/DoctrineMigrations (Symfony 3 dir_name)', () => {
    const d = discover({
      'src/Acme/Bundle/ShopBundle/Migrations/Version20230101000000.php': doctrine('Acme\\Bundle\\ShopBundle\\Migrations', 'Version20230101000000'),
      'src/Acme/Bundle/ShopBundle/Migrations/AbstractShopMigration.php': `<?php
namespace Acme\\Bundle\\ShopBundle\\Migrations;
use Doctrine\\Migrations\\AbstractMigration;
abstract class AbstractShopMigration extends AbstractMigration {}`,
      'src/Acme/Bundle/ShopBundle/Migrations/Version20230201000000.php': `<?php
namespace Acme\\Bundle\\ShopBundle\\Migrations;
final class Version20230201000000 extends AbstractShopMigration
{
    public function up(Schema $schema): void { $this->addSql('DROP TABLE legacy'); }
}`,
      'app/migrations/Version20220101000000.php': doctrine('Application\\Migrations', 'Version20220101000000'),
      'app/config/config.yml': 'doctrine_migrations:\n    dir_name: "%kernel.root_dir%/DoctrineMigrations"\n    namespace: Application\\Migrations\n',
      'app/DoctrineMigrations/Version20210101000000.php': doctrine('Application\\Migrations', 'Version20210101000000'),
      'app/DoctrineMigrations/README.md': 'not php',
      'tests/Migrations/Version20990101000000.php': doctrine('Tests', 'Version20990101000000'),
    });
    expect(d.files).toEqual([
      'app/DoctrineMigrations/Version20210101000000.php',
      'app/migrations/Version20220101000000.php',
      'src/Acme/Bundle/ShopBundle/Migrations/Version20230101000000.php',
      'src/Acme/Bundle/ShopBundle/Migrations/Version20230201000000.php',
    ]);
    expect(d.skipped).toEqual([
      { path: 'src/Acme/Bundle/ShopBundle/Migrations/AbstractShopMigration.php', reason: 'abstract base class (extends AbstractMigration)' },
      { path: 'tests/Migrations/Version20990101000000.php', reason: 'test code' },
    ]);
    const bundle = d.groups.find((g) => g.dir.endsWith('ShopBundle/Migrations'))!;
    expect(bundle.how).toBe('Doctrine/project migration classes (extend AbstractMigration, AbstractShopMigration)');
    // and what is found is scanned
    const files = d.files.map((path) => ({ path, text: '' }));
    expect(files).toHaveLength(4);
  });

  test('plain SQL per database driver, each driver its own sequence; whole-schema files are skipped', () => {
    const d = discover({
      'SQL/mysql.initial.sql': 'CREATE TABLE users (id INT);',
      'SQL/mysql/2020020100.sql': 'ALTER TABLE users ADD x INT NULL;',
      'SQL/mysql/2021010100.sql': 'ALTER TABLE users DROP COLUMN x;',
      'SQL/postgres/2020020100.sql': 'ALTER TABLE users ADD x INT NULL;',
      'SQL/postgres/2021010100.sql': 'ALTER TABLE users DROP COLUMN x;',
      'sql/pgsql/migrations/140.sql': 'UPDATE ttrss_version SET schema_version = 140;',
      'sql/pgsql/schema.sql': 'CREATE TABLE ttrss_version (schema_version INT);',
      'install/mysql/install.sql': 'CREATE TABLE x (id INT);',
      'docs/example.sql': 'DROP TABLE x;',
    });
    expect(d.files).toEqual([
      'sql/pgsql/migrations/140.sql',
      'SQL/mysql/2020020100.sql',
      'SQL/postgres/2020020100.sql',
      'SQL/mysql/2021010100.sql',
      'SQL/postgres/2021010100.sql',
    ]);
    expect(d.sequence.get('SQL/mysql/2021010100.sql')).toBe('SQL/mysql');
    expect(d.sequence.get('SQL/postgres/2021010100.sql')).toBe('SQL/postgres');
    expect(d.skipped).toEqual([
      { path: 'install/mysql/install.sql', reason: 'a whole schema, seed or dump, not a migration' },
      { path: 'sql/pgsql/schema.sql', reason: 'a whole schema, seed or dump, not a migration' },
    ]);
    expect(describeDiscovery(d)).toContain('migrations: 2 in SQL/mysql/ (SQL migrations for mysql)');
  });

  test('per-driver SQL in one folder per version is one group per driver; a lone SQL file next to the schema is skipped', () => {
    const d = discover({
      'update/database/mysql/4.1/dbupdate-4.0.0-to-4.1.0.sql': 'ALTER TABLE a ADD b INT NULL;',
      'update/database/mysql/4.2/dbupdate-4.1.0-to-4.2.0.sql': 'ALTER TABLE a DROP COLUMN b;',
      'kernel/sql/postgresql/kernel_schema.sql': 'CREATE TABLE a (id INT);',
      'kernel/sql/postgresql/setval.sql': "SELECT setval('s', 1);",
    });
    expect(d.files).toEqual(['update/database/mysql/4.1/dbupdate-4.0.0-to-4.1.0.sql', 'update/database/mysql/4.2/dbupdate-4.1.0-to-4.2.0.sql']);
    expect(describeDiscovery(d)).toEqual([
      'migrations: 2 in update/database/mysql/** (SQL migrations for mysql)',
      'migrations: skipped kernel/sql/postgresql/kernel_schema.sql: a whole schema, seed or dump, not a migration',
      'migrations: skipped kernel/sql/postgresql/setval.sql: a single SQL file in a driver folder, not a sequence of migrations',
    ]);
    expect(d.sequence.get('update/database/mysql/4.2/dbupdate-4.1.0-to-4.2.0.sql')).toBe('update/database/mysql');
  });

  test('a class in a migrations folder that extends a …Migration base without up() is skipped with why', () => {
    const d = discover({
      'app/DoctrineMigrations/Version20240101000000.php': '<?php\nfinal class Version20240101000000 extends AbstractAppMigration\n{\n    public function postUp(Schema $s): void {}\n}',
      'app/DoctrineMigrations/Version20240201000000.php': '<?php\nfinal class Version20240201000000 extends AbstractAppMigration\n{\n    public function getDescription(): string { return ""; }\n}',
    });
    expect(d.files).toEqual(['app/DoctrineMigrations/Version20240101000000.php']);
    expect(d.skipped).toEqual([{ path: 'app/DoctrineMigrations/Version20240201000000.php', reason: 'extends AbstractAppMigration but has no up() method' }]);
  });

  test('per-driver sequences do not mix: a column added by mysql/ is not new for postgres/', () => {
    const files = [
      { path: 'SQL/mysql/1.sql', text: 'ALTER TABLE users ADD nick VARCHAR(10) NULL;' },
      { path: 'SQL/postgres/2.sql', text: 'ALTER TABLE users DROP COLUMN nick;' },
    ];
    expect(scanMigrations(files).map((f) => `${f.path} ${f.rule}`)).toEqual(['SQL/postgres/2.sql drop-column']);
  });

  test('migrations of third-party packages are skipped in one line per vendor/ folder', () => {
    const files: Record<string, string> = { 'database/migrations/2024_01_01_000000_a.php': laravel() };
    for (const pkg of ['laravel/sanctum', 'spatie/laravel-permission', 'laravel/telescope']) {
      files[`vendor/${pkg}/database/migrations/2019_01_01_000000_x.php`] = laravel();
    }
    expect(describeDiscovery(discover(files))).toEqual([
      'migrations: 1 in database/migrations/ (Laravel migration classes (extend Migration); default folder)',
      'migrations: skipped 3 files in vendor/: third-party package (vendor/)',
    ]);
  });

  test('configured migrations-path globs: only those, nothing guessed', () => {
    const d = discover(
      { 'db/changes/001.sql': 'DROP TABLE x;', 'database/migrations/2024_01_01_000000_x.php': laravel() },
      { globs: ['db/changes/*.sql'] },
    );
    expect(d.files).toEqual(['db/changes/001.sql']);
  });

  test('a procedural PHP script in a default folder is still scanned', () => {
    const d = discover({ 'migrations/upgrade-2.php': "<?php $db->exec('ALTER TABLE users DROP COLUMN x');" });
    expect(d.files).toEqual(['migrations/upgrade-2.php']);
  });
});

describe('migrationClass', () => {
  test.each([
    ['use Doctrine\\Migrations\\AbstractMigration; final class V1 extends AbstractMigration { function up() {} }', 'doctrine'],
    ['final class V1 extends \\Doctrine\\Migrations\\AbstractMigration { function up() {} }', 'doctrine'],
    ['use Doctrine\\DBAL\\Migrations\\AbstractMigration as Base; class V1 extends Base { function up() {} }', 'doctrine'],
    ['use Illuminate\\Database\\Migrations\\Migration; return new class extends Migration { function up() {} };', 'laravel'],
    ['class CreateUsers extends Migration { public function up() {} }', 'project'],
    ['class Foo extends Model { public function up() {} }', undefined],
    ['// class X extends Migration\nclass Foo {}', undefined],
  ])('%s', (src, kind) => {
    expect(migrationClass(`<?php\n${src}`).kind).toBe(kind);
  });
});
