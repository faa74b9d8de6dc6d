/**
 * The engine's orchestration without a server: phases in order, all-at-once and rolling (revert and
 * keep), a failure in each phase, cancellation and undo — against scripted FakeServers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parseSettings, type Settings } from '../../../src/config/settings.js';
import { runDeploy } from '../../../src/engine/deploy.js';
import { runRollback } from '../../../src/engine/manage.js';
import type { EngineOptions } from '../../../src/engine/types.js';
import { DeployError } from '../../../src/errors.js';
import { MemoryReporter } from '../../../src/report/reporter.js';
import { FakeServer } from './fake-servers.js';

const keys = utils.generateKeyPairSync('ed25519');
const hostKey = utils.generateKeyPairSync('ed25519').public;

function appTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'php-deploy-engine-'));
  writeFileSync(join(dir, 'index.php'), '<?php echo "ok";\n');
  return dir;
}

function settingsFor(hosts: string[], extra: Record<string, string> = {}): Settings {
  return parseSettings(
    {
      hosts: hosts.join('\n'),
      'ssh-key': keys.private,
      'known-hosts': hosts.map((h) => `${h.split('@')[1]} ${hostKey}`).join('\n'),
      'deploy-path': '/srv/app',
      source: appTree(),
      ...extra,
    },
    { sha: '0123456789abcdef0123456789abcdef01234567', tag: 'v2', who: 'tester@ci' },
  );
}

function servers(n: number, live = 'r1'): FakeServer[] {
  return Array.from({ length: n }, (_, i) => new FakeServer(`deploy@h${i + 1}`, { live, releases: ['r0', live] }));
}

async function deploy(fakes: FakeServer[], extra: Record<string, string> = {}, opts: EngineOptions = {}) {
  const reporter = new MemoryReporter();
  const s = settingsFor(
    fakes.map((f) => f.label),
    extra,
  );
  const run = runDeploy(s, reporter, { ...opts, connect: async () => fakes, fixedDeployId: 'r2' });
  return { run, reporter };
}

async function failure(p: Promise<unknown>): Promise<DeployError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeployError);
  return err as DeployError;
}

describe('deploy to one host', () => {
  it('runs the phases in order and sends one command per step', async () => {
    const [h] = servers(1);
    const { run } = await deploy([h!]);
    const result = await run;
    expect(result.phases.map((p) => p.name)).toEqual(['scan', 'artifact-check', 'connect', 'preflight', 'lock', 'upload', 'activate']);
    expect(h!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'activate']);
    expect(h!.live).toBe('r2');
    expect(h!.lock).toBeUndefined();
    expect(result.previousDeployId).toBe('r1');
    expect(result.hosts).toEqual([expect.objectContaining({ host: 'deploy@h1', ok: true, rolledBack: false })]);
    expect(h!.isConnected).toBe(false);
  });

  it('a dry run sends only read-only commands and returns the plan', async () => {
    const [h] = servers(1);
    const result = await (await deploy([h!], { 'dry-run': 'true' })).run;
    expect(h!.commands()).toEqual(['preflight', 'inspect']);
    expect(result.plan?.hosts[0]?.live).toBe('r1');
    expect(h!.live).toBe('r1');
  });

  it('a refused lock fails in the lock phase and undoes nothing that is not ours', async () => {
    const [h] = servers(1);
    h!.lock = 'other-deploy';
    const e = await failure((await deploy([h!])).run);
    expect(e.oneLine()).toBe('deploy@h1: lock: locked by other-deploy');
    expect(h!.commands()).toEqual(['preflight', 'begin']);
    expect(h!.lock).toBe('other-deploy');
  });

  it('a failed upload runs abort: the lock is released, the live release unchanged', async () => {
    const [h] = servers(1);
    h!.failures.set('upload', { phase: 'verify', message: 'sha256 mismatch: index.php' });
    const e = await failure((await deploy([h!])).run);
    expect(e.oneLine()).toBe('deploy@h1: verify: sha256 mismatch: index.php');
    expect(h!.live).toBe('r1');
    expect(h!.lock).toBeUndefined();
  });

  it('a failed post-switch check reports the switch back', async () => {
    const [h] = servers(1);
    h!.failures.set('activate', { phase: 'post-switch-check', message: 'GET /health answered 500', switchedBack: true });
    const e = await failure((await deploy([h!])).run);
    expect(e.oneLine()).toContain('deploy@h1: post-switch-check: GET /health answered 500');
    expect(e.details.rolledBack).toBe(true);
    expect(h!.live).toBe('r1');
    // The remote program undid its own activation: no abort needed.
    expect(h!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'activate']);
  });

  it('an activation that dies without its exit path (no word on the lock) is aborted', async () => {
    const [h] = servers(1);
    h!.failures.set('activate', { phase: 'before-switch', message: 'killed', killed: true });
    const e = await failure((await deploy([h!])).run);
    expect(e.oneLine()).toBe('deploy@h1: before-switch: killed');
    expect(h!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'activate', 'abort']);
    expect(h!.lock).toBeUndefined();
  });

  it('holds the lease from begin until the deploy is done with the host', async () => {
    const [h] = servers(1);
    await (await deploy([h!])).run;
    expect(h!.holdEndedAfter).toEqual(['preflight', 'begin', 'hold', 'upload', 'activate']);
  });

  it('cancellation during the upload stops before activation and aborts', async () => {
    const [h] = servers(1);
    const ctl = new AbortController();
    h!.onCommand = (c) => {
      if (c.command === 'upload') ctl.abort(new Error('cancelled by SIGINT'));
    };
    const e = await failure((await deploy([h!], {}, { signal: ctl.signal })).run);
    expect(e.message).toBe('cancelled by SIGINT');
    expect(h!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'abort']);
    expect(h!.live).toBe('r1');
    expect(h!.lock).toBeUndefined();
  });
});

describe('deploy to several hosts, all at once', () => {
  it('prepares everywhere, then switches everywhere, then finishes', async () => {
    const fakes = servers(3);
    const result = await (await deploy(fakes)).run;
    for (const f of fakes) {
      expect(f.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'prepare', 'switch', 'finish']);
      expect(f.live).toBe('r2');
    }
    expect(result.hosts.every((h) => h.ok)).toBe(true);
  });

  it('every host holds its lease from its begin until the whole deploy is done, also one at a time (max-parallel 1)', async () => {
    const fakes = servers(3);
    let holdsOpenDuringLastFinish = 0;
    fakes[2]!.onCommand = (call) => {
      if (call.command === 'finish') holdsOpenDuringLastFinish = fakes.filter((f) => f.holdEndedAfter === undefined).length;
    };
    await (await deploy(fakes, { 'max-parallel': '1' })).run;
    expect(holdsOpenDuringLastFinish).toBe(3);
    for (const f of fakes) expect(f.holdEndedAfter).toEqual(['preflight', 'begin', 'hold', 'upload', 'prepare', 'switch', 'finish']);
  });

  it('once-commands run on the first host only', async () => {
    const fakes = servers(2);
    await (await deploy(fakes, { 'before-switch': 'once: php artisan migrate --force' })).run;
    expect(fakes[0]!.calls.find((c) => c.command === 'prepare')?.args.get('once')).toEqual(['php artisan migrate --force']);
    expect(fakes[1]!.calls.find((c) => c.command === 'prepare')?.args.has('once')).toBe(false);
  });

  it('one host failing its switch switches every host back', async () => {
    const fakes = servers(3);
    fakes[1]!.failures.set('switch', { phase: 'post-switch-check', message: 'GET /health answered 502', switchedBack: true });
    const e = await failure((await deploy(fakes)).run);
    expect(e.oneLine()).toContain('deploy@h2: post-switch-check');
    for (const f of fakes) expect(f.live).toBe('r1');
    for (const f of fakes) expect(f.lock).toBeUndefined();
    expect(fakes[0]!.commands()).toContain('abort');
    expect(e.details.hosts?.every((h) => !h.ok)).toBe(true);
  });

  it('one host failing prepare: nobody switches', async () => {
    const fakes = servers(3);
    fakes[2]!.failures.set('prepare', { phase: 'pre-switch-check', message: 'index.php answered 500' });
    await failure((await deploy(fakes)).run);
    for (const f of fakes) {
      expect(f.commands()).not.toContain('switch');
      expect(f.live).toBe('r1');
      expect(f.lock).toBeUndefined();
    }
  });
});

describe('deploy to several hosts, rolling', () => {
  it('revert: a failing batch switches earlier batches back', async () => {
    const fakes = servers(3);
    fakes[2]!.failures.set('prepare', { phase: 'pre-switch-check', message: 'index.php answered 500' });
    const e = await failure((await deploy(fakes, { strategy: 'rolling', 'batch-size': '1', 'rolling-failure': 'revert' })).run);
    expect(e.oneLine()).toContain('deploy@h3: pre-switch-check');
    for (const f of fakes) expect(f.live).toBe('r1');
    expect(fakes[0]!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'prepare', 'switch', 'finish', 'rollback']);
    expect(fakes[0]!.calls.at(-1)?.arg('target')).toBe('r1');
  });

  it('keep: earlier batches keep the new release', async () => {
    const fakes = servers(3);
    fakes[1]!.failures.set('prepare', { phase: 'before-switch', message: 'command failed' });
    const e = await failure((await deploy(fakes, { strategy: 'rolling', 'batch-size': '1', 'rolling-failure': 'keep' })).run);
    expect(fakes.map((f) => f.live)).toEqual(['r2', 'r1', 'r1']);
    expect(e.details.hosts?.map((h) => h.ok)).toEqual([true, false, false]);
    // The host never reached was undone (its upload removed, its lock released).
    expect(fakes[2]!.commands()).toEqual(['preflight', 'begin', 'hold', 'upload', 'abort']);
    for (const f of fakes) expect(f.lock).toBeUndefined();
  });
});

describe('rollback', () => {
  it('several hosts agree on the target before any switch', async () => {
    const fakes = servers(2);
    const s = { ...settingsFor(fakes.map((f) => f.label)), command: 'rollback' as const };
    const result = await runRollback(s, new MemoryReporter(), { connect: async () => fakes });
    for (const f of fakes) {
      expect(f.commands()).toEqual(['list', 'rollback']);
      expect(f.live).toBe('r0');
    }
    expect(result.deployId).toBe('r0');
  });
});
