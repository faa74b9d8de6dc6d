import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { DEFAULT_MIGRATION_GLOBS, matchesGlob } from '../../src/migrations/index.js';
import { globsToEre } from '../../src/migrations/ere.js';
import { activateCommand, rollbackCommand } from '../../src/remote/commands.js';

describe('migration globs on the server', () => {
  const paths = [
    'database/migrations/2024_01_01_000000_create_users_table.php',
    'database/migrations/archive/2019_old.php',
    'migrations/Version20240101120000.php',
    'migrations/0001_create.sql',
    'src/Migrations/Version1.php',
    'db/migrations/2.sql',
    'database/seeders/UserSeeder.php',
    'app/Models/Migration.php',
    'migrations.php',
    'public/migrations/x.php.bak',
  ];
  it.each([[DEFAULT_MIGRATION_GLOBS as string[]], [['db/{schema,data}/*.sql', 'custom/**/V?_*.sql', 'a.b/*.php']]])(
    'awk with the ERE from %j picks the same paths as the engine',
    (globs) => {
      const extra = ['db/schema/1.sql', 'db/data/2.sql', 'db/other/3.sql', 'custom/x/y/V1_init.sql', 'custom/V12_x.sql', 'a.b/m.php', 'aXb/m.php'];
      const all = [...paths, ...extra];
      const manifest = ['# php-deploy manifest v1', ...all.map((p) => `f\t0644\t1\t${'0'.repeat(64)}\t${p}`)].join('\n') + '\n';
      const out = execFileSync('awk', ['-F', '\t', '-v', `re=${globsToEre(globs)}`, 'NR > 1 && $1 == "f" && $5 ~ re { print $5 }'], {
        input: manifest,
        encoding: 'utf8',
      });
      const expected = all.filter((p) => globs.some((g) => matchesGlob(p, g)));
      expect(expected.length).toBeGreaterThan(2);
      expect(out.trim().split('\n').filter(Boolean).sort()).toEqual(expected.sort());
    },
  );
});

describe('remote command size', () => {
  it('stays far below the 128 KiB a single shell argument may have, even with many settings', () => {
    const s = parseSettings(
      {
        hosts: 'deploy@h',
        'ssh-key': 'k',
        'known-hosts': 'h ssh-ed25519 AAAA',
        'deploy-path': '/srv/app',
        shared: Array.from({ length: 20 }, (_, i) => `storage/dir${i}`).join('\n'),
        'before-switch': Array.from({ length: 20 }, (_, i) => `php artisan command:${i} --force`).join('\n'),
        'after-switch': Array.from({ length: 20 }, (_, i) => `php artisan after:${i}`).join('\n'),
        'health-url': 'http://127.0.0.1/health',
        'reload-command': 'sudo systemctl reload php8.2-fpm',
      },
      { who: 'octocat via https://github.com/acme/shop/actions/runs/1234567890' },
    );
    const ref = { deployPath: s.deployPath, deployId: '20261122T101530Z-a1b2c3d', token: 'x'.repeat(60) };
    for (const cmd of [activateCommand(s, ref), rollbackCommand(s, 'token')]) expect(cmd.length).toBeLessThan(96 * 1024);
  });
});
