/**
 * Reaching the servers through a jump host (the stack's second sshd, :2223, which forwards only to the
 * stack's sshd and runs no command), with every hop's host key checked against known-hosts; and the
 * debug mode (--verbose) that prints each remote command and its timing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { appCopy, deploy, lastLine, newSite, served, stack, stackEnv, tempDir, type Site } from './helpers.js';

const jump = (): string => `${stack.sshUser}@${stackEnv().STACK_JUMP_HOST}:${stackEnv().STACK_JUMP_PORT}`;
const jumpLog = (): string => join(stack.dir, 'sshd_jump.log');
const accepted = (): number => (readFileSync(jumpLog(), 'utf8').match(/Accepted publickey for deploy/g) ?? []).length;

let dir = '';
let both = '';
let site: Site;

beforeAll(() => {
  if (!stackEnv().STACK_JUMP_PORT || !existsSync(stackEnv().STACK_JUMP_KNOWN_HOSTS ?? '')) {
    throw new Error('the stack has no jump host: run bash test/stack/stack.sh start');
  }
  dir = tempDir('pd-jump-');
  both = join(dir, 'known_hosts');
  writeFileSync(both, readFileSync(stack.knownHosts, 'utf8') + readFileSync(stackEnv().STACK_JUMP_KNOWN_HOSTS!, 'utf8'));
  site = newSite('jump');
});

describe('ssh-proxy-jump', () => {
  test('deploys through the jump host, every host key checked', async () => {
    const before = accepted();
    const r = await deploy(site, appCopy(), ['--ssh-proxy-jump', jump()], { replace: { '--known-hosts-file': both } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${stack.host}: connected through ${jump()}`);
    expect(await served(site)).toBe(r.id);
    // The jump host's sshd logged the login the connection went through.
    expect(accepted()).toBeGreaterThan(before);
  });

  test("a jump host whose key is not in known-hosts is refused, naming it, and nothing changes", async () => {
    const fresh = newSite('jump-refused');
    const r = await deploy(fresh, appCopy(), ['--ssh-proxy-jump', jump()]);
    expect(r.code).toBe(1);
    const port = stackEnv().STACK_JUMP_PORT;
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(`^php-deploy: ${stack.host.replace(/\./g, '\\.')}: connect: jump host 127\\.0\\.0\\.1:${port}: host key not trusted: .*SHA256:`),
    );
    expect(existsSync(join(fresh.deployPath, 'releases'))).toBe(false);
  });

  test("the target's host key is still checked behind the jump host", async () => {
    const onlyJump = join(dir, 'only_jump');
    writeFileSync(onlyJump, readFileSync(stackEnv().STACK_JUMP_KNOWN_HOSTS!, 'utf8'));
    const fresh = newSite('jump-target-key');
    const r = await deploy(fresh, appCopy(), ['--ssh-proxy-jump', jump()], { replace: { '--known-hosts-file': onlyJump } });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/: connect: host key not trusted: 127\.0\.0\.1:2222 offered .*SHA256:.* not in known-hosts/);
    expect(existsSync(join(fresh.deployPath, 'releases'))).toBe(false);
  });

  test('a destination the jump host will not forward to fails in one line naming both', async () => {
    const r = await deploy(newSite('jump-no-forward'), appCopy(), ['--ssh-proxy-jump', jump()], {
      replace: { '--known-hosts-file': both, '--hosts': `${stack.sshUser}@127.0.0.1:${stack.httpPort}` },
    });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(`jump host 127\\.0\\.0\\.1:${stackEnv().STACK_JUMP_PORT} could not open a connection to 127\\.0\\.0\\.1:${stack.httpPort} \\(.*\\); check the address`),
    );
  });

  test('a bad jump host entry is bad input (exit 2)', async () => {
    const r = await deploy(newSite('jump-bad'), appCopy(), ['--ssh-proxy-jump', 'deploy@'], { replace: { '--known-hosts-file': both } });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^php-deploy: ssh-proxy-jump: bad entry "deploy@": no host/);
  });
});

describe('--verbose', () => {
  test('prints each remote command (the script by its size) and how long it took', async () => {
    const r = await deploy(site, appCopy(), ['--verbose'], {});
    expect(r.code, r.stderr).toBe(0);
    const debug = r.stderr.split('\n').filter((l) => / debug: /.test(l));
    expect(debug.some((l) => new RegExp(`debug: ${stack.host.replace(/\./g, '\\.')}: ssh connection .* took \\d+ ms`).test(l))).toBe(true);
    expect(debug.some((l) => /debug: .*: \$ bash -c <remote script, \d+\.\d KiB> php-deploy \S+ /.test(l))).toBe(true);
    expect(debug.some((l) => /debug: .*: exit 0 after \d+ ms \(/.test(l))).toBe(true);
    // One timing line per command sent.
    expect(debug.filter((l) => /: \$ bash -c /.test(l)).length).toBe(debug.filter((l) => /: exit \S+ after \d+ ms/.test(l)).length);
    // Without --verbose, none of it.
    const quiet = await deploy(site, appCopy());
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/ debug: /);
  });
});
