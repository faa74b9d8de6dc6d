/**
 * The GitHub Action, run as the runner runs it: `node dist/index.js` with INPUT_<NAME> variables and
 * GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, then `node dist/post.js` with the saved state
 * as STATE_<name>.
 */
import { mkdirSync, writeFileSync, chownSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  ACTION_MAIN,
  ACTION_POST,
  actionInputs,
  appCopy,
  deployUser,
  lines,
  newSite,
  readLog,
  served,
  serverState,
  setVersion,
  stack,
  runAction,
  type ActionRun,
  type Site,
} from './helpers.js';

/** Lines a log reader sees: workflow commands (::add-mask:: etc.) are consumed by the runner, not shown. */
function visible(stdout: string): string[] {
  return lines(stdout).filter((l) => !l.startsWith('::add-mask::'));
}

function expectKeyHidden(run: ActionRun, key: string): void {
  const keyLines = key
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 8 && !l.startsWith('-----'));
  expect(keyLines.length).toBeGreaterThan(0);
  for (const out of [visible(run.stdout).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs), JSON.stringify(run.state)]) {
    for (const k of keyLines) expect(out).not.toContain(k);
  }
  // What the runner is told to mask covers every line of the key.
  const masked = lines(run.stdout)
    .filter((l) => l.startsWith('::add-mask::'))
    .map((l) => l.slice('::add-mask::'.length));
  for (const k of keyLines) expect(masked.some((m) => m.includes(k))).toBe(true);
}

describe('the action (dist/index.js, dist/post.js)', () => {
  let site: Site;
  let first = '';
  let second = '';
  const sha1 = randomBytes(20).toString('hex');
  const sha2 = randomBytes(20).toString('hex');
  const github = { GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v1.2.3', GITHUB_RUN_ID: '987654', GITHUB_ACTOR: 'octocat', GITHUB_REPOSITORY: 'acme/shop' };

  beforeAll(() => {
    site = newSite('e2e-action');
  });

  test('deploy: outputs, job summary, log context, and the key never shown', async () => {
    const inputs = actionInputs(site, appCopy((d) => setVersion(d, 'action-1')));
    const r1 = await runAction(ACTION_MAIN, inputs, { github: { ...github, GITHUB_SHA: sha1 } });
    expect(r1.code, r1.stdout).toBe(0);
    first = r1.outputs['deploy-id'] as string;
    expect(first).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${sha1.slice(0, 7)}$`));
    expect(await served(site)).toBe(first);

    const inputs2 = actionInputs(site, appCopy((d) => setVersion(d, 'action-2')));
    const r = await runAction(ACTION_MAIN, inputs2, { github: { ...github, GITHUB_SHA: sha2 } });
    expect(r.code, r.stdout).toBe(0);
    second = r.outputs['deploy-id'] as string;
    expect(second).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${sha2.slice(0, 7)}$`));
    expect(r.outputs).toMatchObject({
      'deploy-id': second,
      'previous-deploy-id': first,
      'release-path': `${site.deployPath}/releases/${second}`,
      version: 'v1.2.3',
      'rolled-back': 'false',
    });
    expect(r.outputs['duration-ms']).toMatch(/^\d+$/);
    expect(Number(r.outputs['duration-ms'])).toBeGreaterThan(0);
    expect(Number(r.outputs['duration-ms'])).toBeLessThan(r.ms);
    expect(await served(site)).toBe(second);

    // Job summary: the host table and how to roll back.
    expect(r.summary).toContain(`\`${second}\``);
    expect(r.summary).toMatch(/^\| host \| release \| previous \|/m);
    expect(r.summary).toContain(`| ${stack.host} | \`${second}\` | \`${first}\` |`);
    expect(r.summary).toMatch(new RegExp(`Roll back.*deploy-id.*${first}`, 's'));
    expect(r.summary).toContain(`php-deploy rollback --deploy-id ${first}`);

    // The deploy log on the server knows who deployed and from which run.
    expect(readLog(site.deployPath).at(-1)).toMatchObject({
      event: 'deploy',
      result: 'ok',
      id: second,
      version: 'v1.2.3',
      sha: sha2,
      run_id: '987654',
      actor: 'octocat',
      tool: 'action',
    });

    // Nothing left for the post step.
    expect(r.state.cleanup ?? '').toBe('');
    expectKeyHidden(r, inputs['ssh-key'] as string);
    expectKeyHidden(r1, inputs['ssh-key'] as string);

    const post = await runAction(ACTION_POST, inputs2, { github, state: { cleanup: r.state.cleanup ?? '' } });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('nothing to clean up');
    expect(await served(site)).toBe(second);
  });

  test('rollback with command and deploy-id inputs', async () => {
    const inputs = { ...actionInputs(site, '.'), command: 'rollback', 'deploy-id': first };
    const r = await runAction(ACTION_MAIN, inputs, { github });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({
      'deploy-id': first,
      'previous-deploy-id': second,
      'release-path': `${site.deployPath}/releases/${first}`,
      'rolled-back': 'false',
    });
    expect(await served(site)).toBe(first);
    expect(r.summary).toContain(`rolled back to \`${first}\``);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'rollback', result: 'ok', id: first, run_id: '987654' });
  });

  test('a failed deploy: exit 1, an error annotation naming host and phase, outputs say nothing changed', async () => {
    const inputs = { ...actionInputs(site, appCopy()), 'before-switch': 'false', 'health-timeout': '2' };
    const r = await runAction(ACTION_MAIN, inputs, { github });
    expect(r.code).toBe(1);
    // One error annotation (workflow-command properties escape ':' as %3A).
    const errors = lines(r.stdout).filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      `::error title=php-deploy failed on ${stack.host.replace(/:/g, '%3A')} (before-switch)::${stack.host}: before-switch: before-switch command 1 failed: false`,
    ]);
    expect(r.outputs['rolled-back']).toBe('false');
    expect(r.outputs['previous-deploy-id']).toBe(first);
    expect(r.summary).toContain('php-deploy failed');
    expect(await served(site)).toBe(first);
    expect(r.state.cleanup ?? '').toBe('');
    expect(serverState(site.deployPath).lock).toBeNull();
  });

  test('post step after a main step that died holding the lock mid-upload: lock released, partial removed', async () => {
    // What a main step killed during the upload leaves: its lock on the server, releases/<id>.partial,
    // and the cleanup state it saved before taking the lock.
    const id = `20990102T030405Z-${randomBytes(4).toString('hex').slice(0, 7)}`;
    const token = `${id}.${randomBytes(16).toString('hex')}`;
    const { uid, gid } = deployUser();
    const partial = join(site.deployPath, 'releases', `${id}.partial`);
    mkdirSync(join(partial, 'public'), { recursive: true });
    writeFileSync(join(partial, 'public/index.php'), '<?php echo "half an upload";\n');
    for (const p of [partial, join(partial, 'public'), join(partial, 'public/index.php')]) chownSync(p, uid, gid);
    const lock = join(site.deployPath, '.php-deploy/lock');
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(lock, `token=${token}\nholder=octocat via run 987654\nid=${id}\nacquired=${now}\nexpires=${now + 300}\n`);
    chownSync(lock, uid, gid);
    const before = serverState(site.deployPath);

    const state = JSON.stringify({ deployPath: site.deployPath, deployId: id, token, hosts: [stack.host] });
    const post = await runAction(ACTION_POST, actionInputs(site, '.'), { github, state: { cleanup: state } });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toMatch(new RegExp(`^::warning::php-deploy: the deploy ${id} did not finish; undoing it on ${stack.host}`, 'm'));
    expect(post.stdout).not.toMatch(/^::(warning|error).*cleanup:/m);

    const after = serverState(site.deployPath);
    expect(after.lock).toBeNull();
    expect(existsSync(partial)).toBe(false);
    expect(after.releases).toEqual(before.releases.filter((r) => r !== `${id}.partial`));
    expect(after.current).toBe(before.current);
    expect(await served(site)).toBe(first);
    expect(readLog(site.deployPath).at(-1)).toMatchObject({ event: 'deploy', id, result: 'aborted' });
  });

  test('main step killed before the switch: the post step stops the activation there, the old release stays live', async () => {
    const inputs = { ...actionInputs(site, appCopy((d) => setVersion(d, 'killed'))), 'before-switch': 'php bin/migrate.php\nsleep 4' };
    let killedAt = 0;
    const main = await runAction(ACTION_MAIN, inputs, {
      github: { ...github, GITHUB_SHA: randomBytes(20).toString('hex') },
      timeoutMs: 60_000,
      onSpawn: (child) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (!killedAt && /before-switch\[2\]: sleep 4/.test(out)) {
            killedAt = Date.now();
            child.kill('SIGKILL');
          }
        });
      },
    });
    expect(main.signal).toBe('SIGKILL');
    const cleanup = main.state.cleanup ?? '';
    expect(cleanup).not.toBe('');
    const saved = JSON.parse(cleanup) as { deployId: string; deployPath: string; token: string; hosts: string[] };
    expect(saved).toMatchObject({ deployPath: site.deployPath, hosts: [stack.host] });
    expect(existsSync(join(site.deployPath, 'releases', saved.deployId))).toBe(true);
    expect(await served(site)).toBe(first);

    const post = await runAction(ACTION_POST, inputs, { github, state: { cleanup } });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toMatch(/still activating deploy .*asking it to stop before the switch/);
    // The server stopped at its next step: the new release never went live and is gone, lock released.
    const failed = readLog(site.deployPath).find((l) => l.id === saved.deployId && l.event === 'deploy');
    expect(failed).toMatchObject({ result: 'failed', live: first });
    expect(String(failed?.reason)).toContain('cancelled before the switch');
    expect(await served(site)).toBe(first);
    expect(existsSync(join(site.deployPath, 'releases', saved.deployId))).toBe(false);
    expect(serverState(site.deployPath).lock).toBeNull();
    expect(Date.now() - killedAt).toBeGreaterThan(3000);
  });
});
