import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/errors.js';
import { compareBytes, diffManifests, formatManifest, parseManifest, type ManifestEntry } from '../../../src/pack/manifest.js';
import { cleanupTemp, execFileP, tempDir } from './helpers.js';

afterEach(cleanupTemp);

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const H3 = 'c'.repeat(64);

const entries: ManifestEntry[] = [
  { type: 'f', mode: 0o644, size: 12, sha256: H1, path: 'public/index.php' },
  { type: 'd', mode: 0o755, size: 0, path: 'public' },
  { type: 'l', mode: 0o777, size: 0, path: 'vendor/bin/phpunit', linkTarget: '../phpunit/phpunit/phpunit' },
  { type: 'f', mode: 0o755, size: 0, sha256: H2, path: 'bin/console' },
  { type: 'f', mode: 0o644, size: 5, sha256: H3, path: 'with space/é.php' },
];

describe('manifest format', () => {
  it('writes the exact text: header, sorted TAB-separated lines, newline at the end', () => {
    expect(formatManifest(entries)).toBe(
      '# php-deploy manifest v1\n' +
        `f\t0755\t0\t${H2}\tbin/console\n` +
        'd\t0755\t0\t-\tpublic\n' +
        `f\t0644\t12\t${H1}\tpublic/index.php\n` +
        'l\t0777\t0\t-\tvendor/bin/phpunit\t../phpunit/phpunit/phpunit\n' +
        `f\t0644\t5\t${H3}\twith space/é.php\n`,
    );
  });

  it('round-trips through parseManifest', () => {
    const text = formatManifest(entries);
    const parsed = parseManifest(text);
    expect(parsed).toEqual([...entries].sort((a, b) => compareBytes(a.path, b.path)));
    expect(formatManifest(parsed)).toBe(text);
  });

  it('sorts paths in byte order, exactly like LC_ALL=C sort', async () => {
    const paths = ['a/b', 'a-b', 'a.b', 'a', 'B', 'b', 'z', 'é', '\uff01', '\u{1f600}', 'a/b/c', 'ab', 'a b', '_x', '~'];
    const mine = formatManifest(paths.map((path) => ({ type: 'd', mode: 0o755, size: 0, path })))
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split('\t')[4]);
    const f = join(tempDir(), 'paths');
    writeFileSync(f, paths.join('\n') + '\n');
    const { stdout } = await execFileP('sort', [f], { env: { ...process.env, LC_ALL: 'C' } });
    expect(mine).toEqual(stdout.trimEnd().split('\n'));
  });

  it('parses cut/awk-style fields and rejects malformed lines naming the line number', () => {
    const good = formatManifest(entries).split('\n');
    const bad = (lineNo: number, line: string) => {
      const lines = [...good];
      lines[lineNo - 1] = line;
      return lines.join('\n');
    };
    const cases: [string, RegExp][] = [
      ['# php-deploy manifest v2\n', /manifest line 1: expected/],
      [bad(3, 'd\t0755\t0\t-'), /manifest line 3: expected 5 tab-separated fields/],
      [bad(2, `f\t644\t0\t${H2}\tbin/console`), /manifest line 2: bad mode/],
      [bad(2, `f\t0644\t-1\t${H2}\tbin/console`), /manifest line 2: bad size/],
      [bad(2, 'f\t0644\t0\t-\tbin/console'), /manifest line 2: bad sha256/],
      [bad(4, `x\t0644\t0\t${H1}\tp`), /manifest line 4: unknown type "x"/],
      [bad(4, `f\t0644\t12\t${H1}\t../etc/passwd`), /manifest line 4: bad path segment "\.\."/],
      [bad(4, `f\t0644\t12\t${H1}\t/etc/passwd`), /manifest line 4: absolute path/],
      [bad(5, 'l\t0777\t0\t-\tvendor/bin/phpunit'), /manifest line 5: expected 6 tab-separated fields/],
      [bad(4, `f\t0644\t12\t${H1}\tbin/console`), /manifest line 4: duplicate path/],
      [bad(4, ''), /manifest line 4: unknown type ""/],
    ];
    for (const [text, re] of cases) {
      let err: unknown;
      try {
        parseManifest(text);
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(DeployError);
      expect((err as Error).message).toMatch(re);
    }
  });
});

describe('diffManifests', () => {
  const base: ManifestEntry[] = [
    { type: 'd', mode: 0o755, size: 0, path: 'src' },
    { type: 'f', mode: 0o644, size: 10, sha256: H1, path: 'src/same.php' },
    { type: 'f', mode: 0o644, size: 10, sha256: H1, path: 'src/edited.php' },
    { type: 'f', mode: 0o644, size: 10, sha256: H1, path: 'bin/tool' },
    { type: 'f', mode: 0o644, size: 7, sha256: H3, path: 'src/gone.php' },
    { type: 'l', mode: 0o777, size: 0, path: 'link', linkTarget: 'src/same.php' },
    { type: 'l', mode: 0o777, size: 0, path: 'link2', linkTarget: 'a' },
    { type: 'd', mode: 0o755, size: 0, path: 'olddir' },
  ];
  const local: ManifestEntry[] = [
    { type: 'd', mode: 0o755, size: 0, path: 'src' },
    { type: 'd', mode: 0o755, size: 0, path: 'newdir' },
    { type: 'f', mode: 0o644, size: 10, sha256: H1, path: 'src/same.php' },
    { type: 'f', mode: 0o644, size: 11, sha256: H2, path: 'src/edited.php' }, // content changed
    { type: 'f', mode: 0o755, size: 10, sha256: H1, path: 'bin/tool' }, // mode changed
    { type: 'f', mode: 0o644, size: 3, sha256: H3, path: 'newdir/added.php' }, // added
    { type: 'l', mode: 0o777, size: 0, path: 'link', linkTarget: 'src/same.php' },
    { type: 'l', mode: 0o777, size: 0, path: 'link2', linkTarget: 'b' }, // target changed
  ];

  it('sends changed content, changed modes, added files and retargeted links; counts the rest', () => {
    const d = diffManifests(local, base);
    expect(d.send.map((e) => e.path)).toEqual(['bin/tool', 'link2', 'newdir/added.php', 'src/edited.php']);
    expect(d.send.every((e) => e.type !== 'd')).toBe(true);
    expect(d.unchanged).toBe(2); // src/same.php and link
    expect(d.unchangedBytes).toBe(10);
    expect(d.removed).toBe(1); // src/gone.php
    expect(d.sendBytes).toBe(10 + 3 + 11);
  });

  it('treats a type change as a change', () => {
    const d = diffManifests([{ type: 'l', mode: 0o777, size: 0, path: 'x', linkTarget: 'y' }], [{ type: 'f', mode: 0o644, size: 1, sha256: H1, path: 'x' }]);
    expect(d.send.map((e) => e.path)).toEqual(['x']);
    expect(d.removed).toBe(0);
  });

  it('sends everything, directories included, without a base', () => {
    const d = diffManifests(local, undefined);
    expect(d.send).toHaveLength(local.length);
    expect(d.send.map((e) => e.path)[0]).toBe('bin/tool');
    expect(d).toMatchObject({ unchanged: 0, unchangedBytes: 0, removed: 0, sendBytes: 10 + 11 + 10 + 3 });
  });
});
