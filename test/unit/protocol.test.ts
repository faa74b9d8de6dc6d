import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { exitFacts, markFor, newNonce, RemoteOutput } from '../../src/remote/protocol.js';

describe('RemoteOutput', () => {
  it('separates engine events from log text and collects the manifest block', () => {
    const logs: string[] = [];
    const phases: string[] = [];
    const out = new RemoteOutput((t) => logs.push(t), (p) => phases.push(p));
    for (const line of [
      '@@php-deploy phase lock',
      'removing leftover releases/x.partial',
      '@@php-deploy result live 20261122T101530Z-a1b2c3d',
      '@@php-deploy result warning {"status":"ok", "release": "x"}',
      '@@php-deploy manifest-begin',
      '# php-deploy manifest v1',
      'f\t0644\t3\tabc\tpublic/@@php-deploy fail',
      '@@php-deploy manifest-end',
      '@@php-deploy release 20261122T101530Z-a1b2c3d live {"version":"v1","created":"2026-11-22T10:15:31Z"}',
      '@@php-deploy fail pre-switch-check pre-switch check answered 500 after 3 tries',
    ]) {
      out.push(line);
    }
    expect(phases).toEqual(['lock']);
    expect(logs).toEqual(['removing leftover releases/x.partial']);
    expect(out.result('live')).toBe('20261122T101530Z-a1b2c3d');
    expect(out.result('warning')).toBe('{"status":"ok", "release": "x"}');
    expect(out.manifest).toBe('# php-deploy manifest v1\nf\t0644\t3\tabc\tpublic/@@php-deploy fail\n');
    expect(out.releases[0]).toMatchObject({ id: '20261122T101530Z-a1b2c3d', status: 'live', meta: { version: 'v1' } });
    expect(out.failure).toEqual({ phase: 'pre-switch-check', message: 'pre-switch check answered 500 after 3 tries' });
  });

  it('reads a gzip\'d, base64 manifest block as the server writes it (gzip -1 | base64 -w 76)', () => {
    const manifest = '# php-deploy manifest v1\n' + Array.from({ length: 500 }, (_, i) => `f\t0644\t${i}\t${'ab'.repeat(32)}\tvendor/p${i}/x.php`).join('\n') + '\n';
    const block = execFileSync('bash', ['-c', 'gzip -1 -c | base64 -w 76'], { input: manifest, encoding: 'utf8' });
    const out = new RemoteOutput();
    for (const line of ['@@php-deploy result base r1', '@@php-deploy manifest-gz-begin', ...block.trimEnd().split('\n'), '@@php-deploy manifest-end']) out.push(line);
    expect(out.manifest).toBe(manifest);
    const bad = new RemoteOutput();
    for (const line of ['@@php-deploy manifest-gz-begin', 'bm90IGd6aXA=', '@@php-deploy manifest-end']) bad.push(line);
    expect(bad.manifest).toBeUndefined();
  });
});

describe('exitFacts', () => {
  it('reads what the exit path did, and nothing when it said nothing', () => {
    const out = new RemoteOutput();
    expect(exitFacts(out)).toBeUndefined();
    for (const line of [
      '@@php-deploy result exit_renewer stopped',
      '@@php-deploy result exit_switched_back ',
      '@@php-deploy result exit_release kept-failed',
      '@@php-deploy result exit_lock released',
    ]) {
      out.push(line);
    }
    expect(exitFacts(out)).toEqual({ lock: 'released', release: 'kept-failed', renewer: 'stopped', switchedBack: '' });
  });
});

describe('RemoteOutput with a nonce: hook and app output cannot pass for the protocol', () => {
  const nonce = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const mark = `@@php-deploy:${nonce} `;

  it('takes only lines carrying its nonce; forged lines (bare marker, other nonce) are log text', () => {
    const logs: string[] = [];
    const out = new RemoteOutput((t) => logs.push(t), () => {}, nonce);
    const forged = [
      '@@php-deploy manifest-begin',
      '@@php-deploy result rolled_back true',
      '@@php-deploy result warning all is fine',
      '@@php-deploy:00000000000000000000000000000000 fail switch forged',
      `@@php-deploy:${nonce.slice(0, -1)} result target forged`,
    ];
    for (const line of [`${mark}phase before-switch`, ...forged, `${mark}fail before-switch before-switch command 3 failed: false`]) out.push(line);
    expect(logs).toEqual(forged);
    expect(out.manifest).toBeUndefined();
    expect(out.all('rolled_back')).toEqual([]);
    expect(out.all('warning')).toEqual([]);
    expect(out.all('target')).toEqual([]);
    expect(out.failure).toEqual({ phase: 'before-switch', message: 'before-switch command 3 failed: false' });
  });

  it('a manifest block ends only at its own end marker', () => {
    const out = new RemoteOutput(() => {}, () => {}, nonce);
    for (const line of [`${mark}manifest-begin`, '# php-deploy manifest v1', '@@php-deploy manifest-end', `${mark}manifest-end`, `${mark}result base x`]) {
      out.push(line);
    }
    expect(out.manifest).toBe('# php-deploy manifest v1\n@@php-deploy manifest-end\n');
    expect(out.result('base')).toBe('x');
  });

  it('markFor: a fresh nonce per command, 32 hex digits', () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).not.toBe(a);
    expect(markFor(a)).toBe(`@@php-deploy:${a} `);
    expect(markFor()).toBe('@@php-deploy ');
  });
});
