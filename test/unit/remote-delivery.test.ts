// The remote program reaches a server once per version: the bootstrap runs the cached copy only when
// its sha256 matches, and a command sent inline (re)writes that copy. Run here with the real bash.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listCommand } from '../../src/remote/commands.js';
import { PROGRAM_CACHE, PROGRAM_MISSING, PROGRAM_SHA256, viaCache } from '../../src/remote/delivery.js';
import { REMOTE_SCRIPT } from '../../src/remote/script.js';
import { createHash } from 'node:crypto';

let home: string;
let site: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'delivery-home-'));
  site = mkdtempSync(join(tmpdir(), 'delivery-site-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

const run = (cmd: string) => spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home } });
const settings = () => ({ deployPath: site }) as Parameters<typeof listCommand>[0];

describe('remote program delivery', () => {
  it('misses without a copy, leaves one after an inline run, then runs from it', () => {
    const inline = listCommand(settings());
    const cached = viaCache(inline)!;
    expect(cached.length).toBeLessThan(600);
    expect(inline.length).toBeGreaterThan(REMOTE_SCRIPT.length);
    const miss = run(cached);
    expect(miss.status).toBe(PROGRAM_MISSING);
    expect(miss.stdout).toBe('');
    const first = run(inline);
    expect(first.status).toBe(0);
    const copy = join(home, PROGRAM_CACHE);
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(PROGRAM_SHA256);
    const hit = run(cached);
    expect(hit.status).toBe(0);
    expect(hit.stdout).toBe(first.stdout);
  });

  it('never runs a copy whose content does not match its name, and an inline run repairs it', () => {
    const inline = listCommand(settings());
    run(inline);
    const copy = join(home, PROGRAM_CACHE);
    chmodSync(copy, 0o644);
    writeFileSync(copy, 'echo pwned; exit 0\n');
    const r = run(viaCache(inline)!);
    expect(r.status).toBe(PROGRAM_MISSING);
    expect(r.stdout).not.toContain('pwned');
    run(inline);
    expect(readFileSync(copy, 'utf8')).toBe(REMOTE_SCRIPT);
    expect(run(viaCache(inline)!).status).toBe(0);
  });

  it('an unwritable home only costs the cache: the inline command still works', () => {
    rmSync(home, { recursive: true, force: true });
    writeFileSync(home, 'not a directory');
    const r = run(listCommand(settings()));
    expect(r.status).toBe(0);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });
});
