/**
 * Releases are immutable and shared data is never lost (issue 18), against the real stack: whatever a
 * hook or the app does in one release leaves every other release byte-for-byte and mode-for-mode as it
 * was; shared paths survive deploys and rollbacks; hooks do not cost the next deploy its delta; seeds
 * carry no secrets and no wider permissions; a hand-made `current` is never taken down; hook output is
 * never taken for the protocol; the deploy log is valid JSON and the state is the deploy user's alone.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { appCopy, cli, deploy, deployUser, lastLine, newSite, page, patchFile, readLog, serverState, setVersion, stackArgs, type RunResult, type Site } from './helpers.js';

const FAST_FAIL = ['--health-timeout', '2'];

function expectOk(r: RunResult): void {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
}

/** Every entry under dir (not following symlinks): type, mode, owner, size, mtime and content hash. */
function treeFacts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const head = `${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.push(`l ${head} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`d ${head}`);
        walk(p, r);
      } else out.push(`f ${head} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}

/** Facts of every completed release of a site, by id. */
function releasesFacts(site: Site): Record<string, string[]> {
  const dir = join(site.deployPath, 'releases');
  const out: Record<string, string[]> = {};
  for (const id of readdirSync(dir)) if (!id.startsWith('.') && !id.endsWith('.partial')) out[id] = treeFacts(join(dir, id));
  return out;
}

function live(site: Site): string {
  return readlinkSync(join(site.deployPath, 'current')).replace(/^releases\//, '');
}

/** The example app plus a script with its execute bit and a data file, at version v. */
function app(v: string, mutate?: (d: string) => void): string {
  return appCopy((d) => {
    setVersion(d, v);
    writeFileSync(join(d, 'bin/tool.sh'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
    chmodSync(join(d, 'bin/tool.sh'), 0o755);
    mkdirSync(join(d, 'data'), { recursive: true });
    writeFileSync(join(d, 'data/table.txt'), 'alpha\nbeta\n');
    mutate?.(d);
  });
}

function hookArgs(...cmds: string[]): string[] {
  return ['php bin/migrate.php', ...cmds];
}

describe('a hook cannot change another release', () => {
  let site: Site;
  let v1 = '';

  beforeAll(async () => {
    site = newSite('imm-hooks');
    const r = await deploy(site, app('1.0.0'));
    expectOk(r);
    v1 = r.id;
  });

  test.each([
    ['appends to a file (>>)', 'echo "// appended by a hook" >> src/PartA.php', 'src/PartA.php'],
    // As Laravel's and Composer's writers do, a failed write fails the command.
    ['writes with PHP file_put_contents', `php -r 'exit(file_put_contents("src/PartB.php", "<?php // replaced\\n") === false ? 1 : 0);'`, 'src/PartB.php'],
    ['copies over a file (cp)', 'cp data/table.txt src/Env.php', 'src/Env.php'],
    ['truncates a file', 'truncate -s 0 src/Release.php', 'src/Release.php'],
    ['removes an execute bit (chmod)', 'chmod -x bin/tool.sh', 'bin/tool.sh'],
    ['changes a timestamp (touch)', 'touch -d 2001-01-01 data/table.txt', 'data/table.txt'],
  ])('a hook that %s: refused before the switch naming the file; every release as it was', async (_what, hook, file) => {
    const before = releasesFacts(site);
    const was = live(site);
    const r = await deploy(site, app('2.0.0'), [], { beforeSwitch: hookArgs(hook) });
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toContain(file);
    expect(lastLine(r.stderr)).toMatch(/shared path|in CI/);
    expect(live(site)).toBe(was);
    expect(releasesFacts(site)).toEqual(before);
    expect((await page(site)).release).toBe(was);
    expect(was).toBe(v1);
  });

  test('the issue\'s case: chmod, an append, then a failing third hook: v1 keeps its bytes and its execute bit', async () => {
    const before = releasesFacts(site);
    const r = await deploy(site, app('2.0.1'), [], { beforeSwitch: hookArgs('chmod -x bin/tool.sh || true', 'echo x >> src/PartA.php || true', 'false') });
    expect(r.code, r.stderr).toBe(1);
    expect(live(site)).toBe(v1);
    expect(releasesFacts(site)).toEqual(before);
    expect(statSync(join(site.deployPath, 'releases', v1, 'bin/tool.sh')).mode & 0o111).toBe(0o111);
  });

  test('what a hook may do: new files, and replacing a file (sed -i writes a new one): private to its release', async () => {
    const before = releasesFacts(site);
    const r = await deploy(site, app('3.0.0'), [], {
      beforeSwitch: hookArgs('sed -i s/alpha/gamma/ data/table.txt', 'mkdir -p bootstrap/cache && echo "<?php return [];" > bootstrap/cache/config.php'),
    });
    expectOk(r);
    const rel = join(site.deployPath, 'releases', r.id);
    expect(readFileSync(join(rel, 'data/table.txt'), 'utf8')).toBe('gamma\nbeta\n');
    expect(existsSync(join(rel, 'bootstrap/cache/config.php'))).toBe(true);
    // The releases that were there are untouched (v1 is now the previous release).
    const after = releasesFacts(site);
    for (const id of Object.keys(before)) expect(after[id], id).toEqual(before[id]);
  });

  test('the next deploy sends again only what a hook replaced (and what changed), never links it', async () => {
    const was = live(site);
    const r = await deploy(site, app('3.0.1'));
    expectOk(r);
    expect(r.stderr).toMatch(new RegExp(`1 path\\(s\\) of the live release ${was} changed on the server since it was verified \\(data/table.txt`));
    expect(r.stderr).toMatch(new RegExp(`sending 2 new or changed files .*unchanged taken from ${was}`));
    const rel = join(site.deployPath, 'releases', r.id);
    expect(readFileSync(join(rel, 'data/table.txt'), 'utf8')).toBe('alpha\nbeta\n');
    expect(statSync(join(rel, 'data/table.txt')).ino).not.toBe(statSync(join(site.deployPath, 'releases', was, 'data/table.txt')).ino);
    expect(statSync(join(rel, 'src/PartA.php')).ino).toBe(statSync(join(site.deployPath, 'releases', was, 'src/PartA.php')).ino);
  });

  test('the app at run time cannot write into its release: files of a release are read-only', () => {
    const rel = join(site.deployPath, 'releases', live(site));
    for (const f of ['src/PartA.php', 'bin/tool.sh', 'public/index.php']) {
      expect((statSync(join(rel, f)).mode & 0o222).toString(8), f).toBe('0');
    }
    expect(statSync(join(rel, 'bin/tool.sh')).mode & 0o111).toBe(0o111);
    // As the deploy user (php-fpm's user here), a write in place fails.
    const { uid, gid } = deployUser();
    expect(() => execFileSync('sh', ['-c', `echo x >> ${join(rel, 'src/PartA.php')}`], { uid, gid, stdio: 'pipe' })).toThrow(/Permission denied/);
  });
});

describe('a hook that deliberately unlocks a shared file (chmod u+w, then writes)', () => {
  test('is reported honestly: the deploy stops naming the file and saying its bytes changed everywhere; mode and mtime are put back', async () => {
    const site = newSite('imm-unlock');
    const first = await deploy(site, app('1.0.0'));
    expectOk(first);
    const file = join(site.deployPath, 'releases', first.id, 'data/table.txt');
    const before = statSync(file);
    const r = await deploy(site, app('2.0.0'), [], { beforeSwitch: hookArgs('chmod u+w data/table.txt && echo forced >> data/table.txt') });
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/changed data\/table\.txt in place \(mode 444 → 644, mtime, its bytes, which cannot be put back/);
    expect(live(site)).toBe(first.id);
    const after = statSync(file);
    expect(after.mode).toBe(before.mode);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });
});

describe('the delta survives hooks', () => {
  test('a hook that writes a cache file and a nested shared link: the next deploy sends only the changed file', async () => {
    const site = newSite('imm-delta');
    const hooks = { beforeSwitch: hookArgs('mkdir -p bootstrap/cache && date > bootstrap/cache/config.php', 'touch storage/hook-ran') };
    const extra = ['--shared', 'public/uploads'];
    const a = await deploy(site, app('1.0.0'), extra, hooks);
    expectOk(a);
    const b = await deploy(site, app('1.0.1'), extra, hooks);
    expectOk(b);
    expect(b.stderr).toMatch(new RegExp(`sending 1 new or changed files .*unchanged taken from ${a.id}`));
    const c = await deploy(site, app('1.0.2'), extra, hooks);
    expectOk(c);
    expect(c.stderr).toMatch(new RegExp(`sending 1 new or changed files .*unchanged taken from ${b.id}`));
  });
});

describe('shared paths never lose data', () => {
  test('one shared path inside another: exit 2 naming the input, nothing contacted', async () => {
    const site = newSite('imm-nested');
    const before = serverState(site.deployPath);
    const r = await deploy(site, app('1.0.0'), ['--shared', 'storage/app/public']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/shared: 'storage\/app\/public' is inside 'storage'/);
    expect(r.stderr).not.toMatch(/connected/);
    expect(serverState(site.deployPath)).toEqual(before);
  });

  test('the source has a file where shared/ has a directory: refused before anything changes', async () => {
    const site = newSite('imm-type');
    mkdirSync(join(site.deployPath, 'shared/cache'), { recursive: true });
    writeFileSync(join(site.deployPath, 'shared/cache/keep.txt'), 'keep');
    const { uid, gid } = deployUser();
    for (const p of ['shared/cache', 'shared/cache/keep.txt']) chownSync(join(site.deployPath, p), uid, gid);
    const before = serverState(site.deployPath);
    const r = await deploy(site, app('1.0.0', (d) => writeFileSync(join(d, 'cache'), 'a file')), ['--shared', 'cache']);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/cache.*(directory|file)/);
    expect(serverState(site.deployPath)).toEqual(before);
    expect(readFileSync(join(site.deployPath, 'shared/cache/keep.txt'), 'utf8')).toBe('keep');
  });

  test('a shared path under a symlink of the release: refused naming it, nothing followed or deleted', async () => {
    const site = newSite('imm-symparent');
    const first = await deploy(site, app('1.0.0'));
    expectOk(first);
    mkdirSync(join(site.deployPath, 'shared/assets/uploads'), { recursive: true });
    writeFileSync(join(site.deployPath, 'shared/assets/uploads/keep.jpg'), 'keep');
    execFileSync('chown', ['-R', `${deployUser().uid}:${deployUser().gid}`, join(site.deployPath, 'shared/assets')]);
    const before = releasesFacts(site);
    // assets -> public in the release: linking assets/uploads would land in public/.
    const r = await deploy(site, app('2.0.0', (d) => symlinkSync('public', join(d, 'assets'))), ['--shared', 'assets/uploads']);
    expect(r.code, r.stderr).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/shared path assets\/uploads: assets in the release is a symlink \(to public\), not a directory/);
    expect(live(site)).toBe(first.id);
    expect(releasesFacts(site)).toEqual(before);
    expect(readFileSync(join(site.deployPath, 'shared/assets/uploads/keep.jpg'), 'utf8')).toBe('keep');
  });

  test('uploads survive 20 deploys and rollbacks: a file, a directory, a nested directory, a directory whose parent does not ship', async () => {
    const site = newSite('imm-uploads');
    const extra = ['--shared', 'public/uploads', '--shared', 'var/sessions/'];
    const first = await deploy(site, app('0'), extra);
    expectOk(first);
    const sh = join(site.deployPath, 'shared');
    const { uid, gid } = deployUser();
    // What users uploaded, written through the live release's links as the app would.
    const cur = join(site.deployPath, 'current');
    const uploads: Record<string, string> = {
      'storage/app/avatar.png': 'png-bytes',
      'public/uploads/2026/photo.jpg': 'jpg-bytes',
      'var/sessions/sess_1': 'session',
    };
    for (const [p, content] of Object.entries(uploads)) {
      mkdirSync(join(cur, p, '..'), { recursive: true });
      writeFileSync(join(cur, p), content);
      chownSync(join(cur, p), uid, gid);
    }
    const envBefore = readFileSync(join(sh, '.env'), 'utf8');
    for (let i = 1; i <= 20; i++) {
      // The first deploy ran the migrations; the others bring none.
      const r = await deploy(site, app(String(i)), extra, { beforeSwitch: [] });
      expectOk(r);
      if (i % 2 === 0) expectOk(await cli(['rollback', ...stackArgs(site, { beforeSwitch: [] })]));
      for (const [p, content] of Object.entries(uploads)) expect(readFileSync(join(cur, p), 'utf8'), `${p} after deploy ${i}`).toBe(content);
      expect(readFileSync(join(sh, '.env'), 'utf8')).toBe(envBefore);
    }
    // shared/ holds only real directories and files: no link was made inside it.
    const links = execFileSync('find', [sh, '-type', 'l'], { encoding: 'utf8' });
    expect(links).toBe('');
    const rel = join(site.deployPath, 'releases', live(site));
    expect(readlinkSync(join(rel, 'public/uploads'))).toBe('../../../shared/public/uploads');
    expect(readlinkSync(join(rel, 'var/sessions'))).toBe('../../../shared/var/sessions');
  }, 600_000);
});

describe('seeding a new shared path', () => {
  test('never a file the secret checks flag, never wider permissions, and the log says what was seeded', async () => {
    const site = newSite('imm-seed');
    const src = app('1.0.0', (d) => {
      mkdirSync(join(d, 'conf/private'), { recursive: true });
      writeFileSync(join(d, 'conf/.env'), 'DB_PASSWORD=from-ci\n');
      writeFileSync(join(d, 'conf/settings.ini'), 'a=1\n');
      writeFileSync(join(d, 'conf/oauth-private.key'), '-----BEGIN RSA PRIVATE KEY-----\nxxx\n-----END RSA PRIVATE KEY-----\n');
      writeFileSync(join(d, 'conf/private/token.txt'), 't\n');
      chmodSync(join(d, 'conf/settings.ini'), 0o600);
      chmodSync(join(d, 'conf/private'), 0o700);
    });
    const r = await deploy(site, src, ['--shared', 'conf']);
    expectOk(r);
    const conf = join(site.deployPath, 'shared/conf');
    expect(existsSync(join(conf, '.env'))).toBe(false);
    expect(existsSync(join(conf, 'oauth-private.key'))).toBe(false);
    expect(statSync(join(conf, 'settings.ini')).mode & 0o777).toBe(0o600);
    expect(statSync(join(conf, 'private')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(conf, 'private/token.txt'), 'utf8')).toBe('t\n');
    expect(r.stderr).toMatch(/not seeding conf\/\.env .*secret-env/);
    expect(r.stderr).toMatch(/not seeding conf\/oauth-private\.key/);
    expect(r.stderr).toMatch(/seeded shared\/conf from the release: 2 files/);
    expect(readLog(site.deployPath).some((l) => l.event === 'seed' && String(l.reason).includes('shared/conf'))).toBe(true);
  });
});

describe('a current that points outside releases/', () => {
  test('is refused before anything changes, with instructions; a failing first deploy does not take it down', async () => {
    const site = newSite('imm-handmade');
    const hand = join(site.deployPath, 'handmade');
    mkdirSync(join(hand, 'public'), { recursive: true });
    writeFileSync(join(hand, 'public/index.php'), '<?php echo "hand-made site";');
    symlinkSync('handmade', join(site.deployPath, 'current'));
    const { uid, gid } = deployUser();
    execFileSync('chown', ['-R', '-h', `${uid}:${gid}`, site.deployPath]);
    for (const src of [app('1.0.0'), app('1.0.1', (d) => patchFile(d, 'src/Kernel.php', '[$status, $body] = Health::check();', "[$status, $body] = [503, ['status' => 'error']];"))]) {
      const r = await deploy(site, src, FAST_FAIL);
      expect(r.code, r.stderr).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/current points to .*handmade.*outside releases\//);
      expect(lastLine(r.stderr)).toMatch(/releases\/initial/);
      expect(readlinkSync(join(site.deployPath, 'current'))).toBe('handmade');
      expect(existsSync(join(site.deployPath, 'releases'))).toBe(false);
      expect(existsSync(join(site.deployPath, '.php-deploy'))).toBe(false);
    }
    const rb = await cli(['rollback', ...stackArgs(site, { beforeSwitch: [] })]);
    expect(rb.code).toBe(1);
    expect(readlinkSync(join(site.deployPath, 'current'))).toBe('handmade');
    expect((await page(site)).body).toContain('hand-made site');
  });
});

describe('hook output is never taken for the protocol', () => {
  let site: Site;
  let v1 = '';
  beforeAll(async () => {
    site = newSite('imm-forge');
    const r = await deploy(site, app('1.0.0'));
    expectOk(r);
    v1 = r.id;
  });

  test('forged result lines change nothing: no rollback reported, no warning, the deploy is what it was', async () => {
    const forge = "printf '%s\\n' '@@php-deploy result rolled_back true' '@@php-deploy result warning forged-warning' '@@php-deploy manifest-begin' '@@php-deploy result deployed nothing'";
    const r = await deploy(site, app('2.0.0'), ['--json'], { beforeSwitch: hookArgs(forge) });
    expectOk(r);
    const out = JSON.parse(r.stdout) as { rolledBack: boolean; deployId: string };
    expect(out.rolledBack).toBe(false);
    expect(out.deployId).toBe(live(site));
    // The hook's lines are shown as its output; none became a warning of php-deploy's.
    expect(r.stderr).toMatch(/@@php-deploy result warning forged-warning/);
    expect(r.stderr).not.toMatch(/ warning: .*forged-warning/);
  });

  test('a forged manifest-begin before a failing command: the failure is still the last line', async () => {
    const r = await deploy(site, app('3.0.0'), [], { beforeSwitch: hookArgs("echo '@@php-deploy manifest-begin'", "echo '@@php-deploy fail switch forged'; false") });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/before-switch: before-switch command 3 failed: echo '@@php-deploy fail switch forged'; false$/);
    expect(lastLine(r.stderr)).not.toMatch(/remote command exited/);
    expect(v1).not.toBe('');
  });
});

describe('the deploy log and the state directory', () => {
  test('every log line is valid JSON whatever control characters a message holds; state is the deploy user\'s alone', async () => {
    const site = newSite('imm-log');
    const ctl = '\u0001\u0002\u001b[31m\u0007\u007f';
    const r = await deploy(site, app('1.0.0', (d) => patchFile(d, 'src/Kernel.php', '[$status, $body] = Health::check();', `[$status, $body] = [503, ['status' => "bad\\x01\\x1b[31m\\x07body"]];`)), FAST_FAIL, {
      beforeSwitch: hookArgs(`true # ${ctl}`),
    });
    expect(r.code).toBe(1);
    const failing = await deploy(site, app('1.0.1'), FAST_FAIL, { beforeSwitch: hookArgs(`false # ${ctl}`) });
    expect(failing.code).toBe(1);
    const text = readFileSync(join(site.deployPath, '.php-deploy/log.jsonl'), 'utf8');
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    const log = readLog(site.deployPath);
    expect(log.some((l) => String(l.reason).includes(`false # ${ctl}`))).toBe(true);
    const state = join(site.deployPath, '.php-deploy');
    expect((statSync(state).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(join(state, 'log.jsonl')).mode & 0o777).toString(8)).toBe('600');
    const runs = readdirSync(join(state, 'runs'));
    expect(runs.length).toBeGreaterThan(0);
    for (const f of runs) expect((statSync(join(state, 'runs', f)).mode & 0o077).toString(8), f).toBe('0');
  });
});

describe('writable paths for a web server that is not the SSH user', () => {
  const www = (): { uid: number; gid: number } => ({
    uid: Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' })),
  });
  const writeAs = (who: { uid: number; gid: number }, file: string): void => {
    execFileSync('sh', ['-c', `echo ok > '${file}'`], { ...who, stdio: 'pipe' });
  };

  test('group: the web server\'s group may write shared storage, new directories keep the group', async () => {
    const site = newSite('imm-wgroup');
    const r = await deploy(site, app('1.0.0'), ['--writable', 'storage', '--writable-by', 'www-data']);
    expectOk(r);
    const storage = join(site.deployPath, 'shared/storage');
    const st = statSync(storage);
    expect(st.gid).toBe(www().gid);
    expect(st.mode & 0o2070).toBe(0o2070);
    writeAs(www(), join(storage, 'logs/by-web.log'));
    expect(readFileSync(join(storage, 'logs/by-web.log'), 'utf8')).toBe('ok\n');
    expect(statSync(join(storage, 'logs')).gid).toBe(www().gid);
    // Files of the release stay read-only for everyone.
    expect(() => writeAs(www(), join(site.deployPath, 'current/src/PartA.php'))).toThrow();
  });

  test('acl: the web server\'s user gets rwX and default ACLs on shared directories', async () => {
    const site = newSite('imm-wacl');
    const r = await deploy(site, app('1.0.0'), ['--writable', 'storage', '--writable-mode', 'acl', '--writable-by', 'www-data']);
    expectOk(r);
    const storage = join(site.deployPath, 'shared/storage');
    const acl = execFileSync('getfacl', ['-p', storage], { encoding: 'utf8' });
    expect(acl).toMatch(/^user:www-data:rwx/m);
    expect(acl).toMatch(/^default:user:www-data:rwx/m);
    // storage/logs came from the seed (the app's skeleton): the web server writes there.
    writeAs(www(), join(storage, 'logs/by-web.log'));
    expect(readFileSync(join(storage, 'logs/by-web.log'), 'utf8')).toBe('ok\n');
  });
});
