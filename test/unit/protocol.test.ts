import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { RemoteOutput } from '../../src/remote/protocol.js';

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
