/**
 * The action's side of issue 15's inputs: the release label under its new name release-version and
 * its deprecated old name version, a jump host given as ssh-proxy-jump, and the step debug log
 * (core.debug: shown by the runner with ACTIONS_STEP_DEBUG) carrying each remote command and its timing.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { ACTION_MAIN, actionInputs, appCopy, newSite, page, runAction, stack, stackEnv, type Site } from './helpers.js';

let site: Site;
beforeAll(() => {
  site = newSite('action-inputs');
});

describe('action inputs', () => {
  test('release-version labels the release; the deprecated input version still does', async () => {
    const r1 = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy()), 'release-version': 'v7.1.0' });
    expect(r1.code, r1.stdout).toBe(0);
    expect(r1.outputs.version).toBe('v7.1.0');
    const r2 = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy()), version: 'v7.2.0' });
    expect(r2.code, r2.stdout).toBe(0);
    expect(r2.outputs.version).toBe('v7.2.0');
    expect((await page(site)).release).toBe(r2.outputs['deploy-id']);
  });

  test('ssh-proxy-jump, with each remote command and its timing in the debug log', async () => {
    const knownHosts = readFileSync(stack.knownHosts, 'utf8') + readFileSync(stackEnv().STACK_JUMP_KNOWN_HOSTS!, 'utf8');
    const jump = `${stack.sshUser}@${stackEnv().STACK_JUMP_HOST}:${stackEnv().STACK_JUMP_PORT}`;
    const r = await runAction(ACTION_MAIN, { ...actionInputs(site, appCopy()), 'known-hosts': knownHosts, 'ssh-proxy-jump': jump, command: 'list' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${stack.host}: connected through ${jump}`);
    expect(r.stdout).toMatch(/^::debug::deploy@127\.0\.0\.1:\d+: \$ bash -c <remote script, \d+\.\d KiB> php-deploy list path=/m);
    expect(r.stdout).toMatch(/^::debug::deploy@127\.0\.0\.1:\d+: exit 0 after \d+ ms \(list\)$/m);
    expect(JSON.parse(r.outputs.releases!)[0].releases.length).toBeGreaterThan(0);
  });
});
