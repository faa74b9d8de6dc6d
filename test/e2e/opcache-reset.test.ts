/**
 * opcache-reset: for servers where the deploy user cannot reload php-fpm, the pool's OPcache is
 * cleared with an opcache_reset() request through the FastCGI socket after the switch. Seen from
 * outside: the pool's OPcache records a restart after the deploy began, the new release is served
 * without any reload-command, and the deploy says so. Without the option nothing is reset.
 *
 * The stack's php-fpm is shared: another test reloading it starts a new OPcache (start_time moves),
 * which makes one observation inconclusive; such an attempt is repeated.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { appCopy, cli, deploy, get, lastLine, newSite, served, stackArgs, type RunResult, type Site } from './helpers.js';

let site: Site;

/** A page of the app that reports the pool's OPcache state. */
function withOpcachePage(dir: string): void {
  writeFileSync(
    join(dir, 'public/opcache.php'),
    '<?php $s = opcache_get_status(false); header("Content-Type: application/json");\n' +
      'echo json_encode(["enabled" => $s["opcache_enabled"] ?? false, "start" => $s["opcache_statistics"]["start_time"] ?? 0,\n' +
      '  "last_restart" => $s["opcache_statistics"]["last_restart_time"] ?? 0]);\n',
  );
}

interface OpcacheState {
  enabled: boolean;
  start: number;
  last_restart: number;
}
async function opcache(): Promise<OpcacheState> {
  // opcache_reset() schedules the restart; the pool performs it on its next request.
  await get(site, '/');
  const r = await get(site, '/opcache.php');
  expect(r.status, r.body).toBe(200);
  const s = JSON.parse(r.body) as OpcacheState;
  expect(s.enabled, 'the stack pool runs with OPcache').toBe(true);
  return s;
}

/**
 * Runs `act` until the pool was not restarted by someone else meanwhile (its OPcache started before
 * `act` did), at most 5 times. `seen` is false when every attempt was overlapped by such a restart:
 * then only the deploy's own report of the reset can be checked (this happens only when other work
 * trees share the stack; CI runs the e2e files one at a time).
 */
async function observe(act: () => Promise<RunResult>): Promise<{ r: RunResult; t0: number; s: OpcacheState; seen: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const t0 = Math.floor(Date.now() / 1000);
    const r = await act();
    expect(r.code, r.stderr).toBe(0);
    const s = await opcache();
    if (s.start < t0) return { r, t0, s, seen: true };
    if (attempt === 5) {
      console.warn('opcache-reset test: php-fpm was restarted by other work during every attempt; checked the report only');
      return { r, t0, s, seen: false };
    }
  }
}

const noReload = { omit: ['--reload-command'] };

beforeAll(async () => {
  site = newSite('opcache');
  const r = await deploy(site, appCopy(withOpcachePage));
  expect(r.code, r.stderr).toBe(0);
});

describe('opcache-reset', () => {
  test('clears the pool through the FastCGI socket after the switch, with no reload-command', async () => {
    const { r, t0, s, seen } = await observe(() => deploy(site, appCopy(withOpcachePage), ['--opcache-reset'], noReload));
    expect(r.stderr).toMatch(/opcache-reset: OPcache of the pool at \S+ cleared/);
    if (seen) expect(s.last_restart).toBeGreaterThanOrEqual(t0);
    expect(await served(site)).toBe((r as RunResult & { id: string }).id);
  });

  test('a rollback with it clears the pool too', async () => {
    const { r, t0, s, seen } = await observe(() => cli(['rollback', ...stackArgs(site, noReload), '--opcache-reset']));
    expect(r.stderr).toMatch(/opcache-reset: OPcache of the pool at \S+ cleared/);
    if (seen) expect(s.last_restart).toBeGreaterThanOrEqual(t0);
  });

  test('without the option nothing is reset', async () => {
    // OPcache times are whole seconds: start in a later second than the reset the test before made.
    const before = (await opcache()).last_restart;
    while (Math.floor(Date.now() / 1000) <= before) await new Promise((done) => setTimeout(done, 100));
    const { r, t0, s } = await observe(() => deploy(site, appCopy(withOpcachePage), [], noReload));
    expect(r.stderr).not.toMatch(/opcache-reset/);
    expect(s.last_restart).toBeLessThan(t0);
  });

  test('without fpm-socket it is bad input', async () => {
    const r = await deploy(site, appCopy(), ['--opcache-reset'], { omit: ['--fpm-socket'] });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe('php-deploy: opcache-reset: needs fpm-socket: the reset is a request to that php-fpm pool');
  });
});
