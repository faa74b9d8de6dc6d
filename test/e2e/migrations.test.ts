/**
 * Database safety against the stack's real MariaDB: the migration guard refuses destructive
 * migrations before anything changes, a marker allows one, an additive migration deploys and the old
 * release still works after a rollback (which names the newer migrations), a failing migration
 * changes nothing visible, and the backup command runs before migrations with retention.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { appCopy, cli, deploy, get, lastLine, newSite, readLog, served, serverState, setVersion, stack, stackArgs, type Site } from './helpers.js';

function sql(site: Site, query: string): string {
  const db = `site_${site.name.replace(/-/g, '_')}`;
  return execFileSync('mariadb', [`--defaults-file=${join(stack.dir, 'my.cnf')}`, '-N', '-B', db, '-e', query], { encoding: 'utf8' }).trim();
}

const migration = (name: string, text: string) => (dir: string) => writeFileSync(join(dir, 'migrations', name), text);

describe('migrations', () => {
  let site: Site;
  let first: string;

  beforeAll(async () => {
    site = newSite('migrate');
    const r = await deploy(site, appCopy((d) => setVersion(d, 'one')));
    expect(r.code, r.stderr).toBe(0);
    first = r.id;
  });

  test('an additive migration deploys; after a rollback the old release still works and the rollback names it', async () => {
    const r = await deploy(
      site,
      appCopy((d) => {
        setVersion(d, 'two');
        migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('migrations: 1 new since');
    expect(sql(site, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME='visits' AND COLUMN_NAME='note' AND TABLE_SCHEMA=DATABASE()")).toBe('1');

    const back = await cli(['rollback', ...stackArgs(site)]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toMatch(/release \S+ predates 1 migration\(s\) applied since: migrations\/0002_add_note\.sql\. The migration guard refused destructive migrations \(but lets through what it cannot vouch for\)/);
    expect(await served(site)).toBe(first);
    const health = await get(site, '/health');
    expect(health.status, health.body).toBe(200);
    // The schema was not rolled back.
    expect(sql(site, "SELECT COUNT(*) FROM schema_migrations WHERE name LIKE '0002%'")).toBe('1');
  });

  test('a destructive migration is refused before anything changes on the server', async () => {
    // The live release has the note column (0002); dropping it would break that release.
    const two = await deploy(
      site,
      appCopy((d) => migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d)),
    );
    expect(two.code, two.stderr).toBe(0);
    const before = serverState(site.deployPath);
    const logBefore = readLog(site.deployPath).length;
    const r = await deploy(
      site,
      appCopy((d) => {
        migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
        migration('0003_drop_note.sql', '-- the note column is not used any more\nALTER TABLE visits DROP COLUMN note;\n')(d);
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/migrations\/0003_drop_note\.sql:2: drop-column: ALTER TABLE visits DROP COLUMN note/);
    expect(r.stderr).toMatch(/expand/i);
    expect(r.stderr).toMatch(/contract/i);
    expect(lastLine(r.stderr)).toMatch(/^php-deploy: migration-guard: migrations: refused 1 destructive statement/);
    expect(serverState(site.deployPath)).toEqual(before);
    expect(readLog(site.deployPath)).toHaveLength(logBefore);
    expect(sql(site, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME='visits' AND COLUMN_NAME='note' AND TABLE_SCHEMA=DATABASE()")).toBe('1');
  });

  test('the same migration with the marker and a reason deploys', async () => {
    const r = await deploy(
      site,
      appCopy((d) => {
        setVersion(d, 'three');
        migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
        migration(
          '0003_drop_note.sql',
          '-- php-deploy: allow-destructive no release since v2 reads the note column\nALTER TABLE visits DROP COLUMN note;\n',
        )(d);
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('allowed: no release since v2 reads the note column');
    expect(sql(site, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME='visits' AND COLUMN_NAME='note' AND TABLE_SCHEMA=DATABASE()")).toBe('0');
  });

  test('a failing migration leaves the live release and nothing new behind', async () => {
    const live = await served(site);
    const r = await deploy(
      site,
      appCopy((d) => {
        migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
        migration('0003_drop_note.sql', '-- php-deploy: allow-destructive done\nALTER TABLE visits DROP COLUMN note;\n')(d);
        migration('0004_broken.sql', 'ALTER TABLE no_such_table ADD COLUMN x INT NULL;\n')(d);
      }),
    );
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^php-deploy: deploy@127\.0\.0\.1:2222: before-switch: before-switch command 1 failed: php bin\/migrate\.php/);
    expect(await served(site)).toBe(live);
    const state = serverState(site.deployPath);
    expect(state.releases.filter((x) => x.endsWith('.partial'))).toEqual([]);
    expect(state.lock).toBeNull();
  });

  test('backup-command runs before new migrations, with retention', async () => {
    const backups = join(site.deployPath, 'shared/backups');
    const backup = ['--backup-command', 'echo "dump of $PHP_DEPLOY_ID" > "$PHP_DEPLOY_BACKUP_DIR/$PHP_DEPLOY_ID.sql"', '--backup-keep', '1'];
    for (const [i, name] of ['0005_a.sql', '0006_b.sql'].entries()) {
      const r = await deploy(
        site,
        appCopy((d) => {
          migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
          migration('0003_drop_note.sql', '-- php-deploy: allow-destructive done\nALTER TABLE visits DROP COLUMN note;\n')(d);
          for (const n of ['0005_a.sql', '0006_b.sql'].slice(0, i + 1)) migration(n, `CREATE TABLE IF NOT EXISTS t_${n.slice(5, 6)} (id INT);\n`)(d);
        }),
        backup,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`migrations: 1 new since`);
      expect(existsSync(join(backups, `${r.id}.sql`)), name).toBe(true);
    }
    expect(readdirSync(backups)).toHaveLength(1);
  });

  /** The migrations the live release has after the tests above, plus a Doctrine bundle migration. */
  const withBundle = (version: string, up: string) => (d: string) => {
    migration('0002_add_note.sql', 'ALTER TABLE visits ADD COLUMN note VARCHAR(100) NULL;\n')(d);
    migration('0003_drop_note.sql', '-- php-deploy: allow-destructive done\nALTER TABLE visits DROP COLUMN note;\n')(d);
    for (const n of ['0005_a.sql', '0006_b.sql']) migration(n, `CREATE TABLE IF NOT EXISTS t_${n.slice(5, 6)} (id INT);\n`)(d);
    const dir = join(d, 'src/Acme/Bundle/ShopBundle/Migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `Version${version}.php`),
      `<?php\nnamespace Acme\\Bundle\\ShopBundle\\Migrations;\n\nuse Doctrine\\DBAL\\Schema\\Schema;\nuse Doctrine\\Migrations\\AbstractMigration;\n\nfinal class Version${version} extends AbstractMigration\n{\n    public function up(Schema $schema): void\n    {\n        ${up}\n    }\n}\n`,
    );
  };

  test('a destructive migration in a Symfony bundle folder is found by its base class and refused', async () => {
    const before = serverState(site.deployPath);
    const r = await deploy(site, appCopy(withBundle('20240101000000', "$this->addSql('DROP TABLE visits');")));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('migrations: 1 in src/Acme/Bundle/ShopBundle/Migrations/ (Doctrine migration classes (extend AbstractMigration))');
    expect(r.stderr).toMatch(/src\/Acme\/Bundle\/ShopBundle\/Migrations\/Version20240101000000\.php:11: drop-table: DROP TABLE visits$/m);
    expect(serverState(site.deployPath)).toEqual(before);
    expect(sql(site, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME='visits' AND TABLE_SCHEMA=DATABASE()")).toBe('1');
  });

  test('a migration php-deploy cannot vouch for is shown apart and does not stop the deploy (forbid)', async () => {
    const r = await deploy(site, appCopy(withBundle('20240201000000', '$this->addSql($this->connection->getDatabasePlatform()->getTruncateTableSQL($schema->getTable(\'visits\')->getName()));')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cannot vouch for 1 migration statement:');
    expect(r.stderr).toMatch(/Version20240201000000\.php:11: dynamic-sql:/);
    expect(r.stderr).toMatch(/so they do not stop the deploy/);
    expect(r.stderr).not.toMatch(/refused/);
  });
});
