import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createReleaseArchive, extractArchive, removeTempDir } from '../../../src/artifact/archive.js';
import { MANIFEST_NAME } from '../../../src/pack/manifest.js';
import { cleanupTemp, describeTree, errorOf, makeTree, manifestOf, sampleTree, tempDir, trackTemp } from '../../artifact/helpers.js';

afterAll(() => cleanupTemp());

describe('createReleaseArchive / extractArchive', () => {
  test('round trip: the full tree, the manifest last in the tar, size and sha256 of the file', async () => {
    const src = sampleTree(tempDir());
    const { entries, manifestText } = await manifestOf(src);
    const a = await createReleaseArchive(src, entries, manifestText, { fileName: 'php-deploy-d1.tar.gz' });
    trackTemp(a.dir);
    expect(basename(a.path)).toBe('php-deploy-d1.tar.gz');
    expect(readdirSync(a.dir)).toEqual(['php-deploy-d1.tar.gz']);
    const bytes = readFileSync(a.path);
    expect(a.bytes).toBe(bytes.length);
    expect(a.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const names = execFileSync('tar', ['-tzf', a.path], { encoding: 'utf8' }).trim().split('\n');
    expect(names.at(-1)).toBe(MANIFEST_NAME);
    expect(names.length).toBe(entries.length + 1);

    const out = await extractArchive(a.path);
    trackTemp(out.dir);
    expect(out.manifestText).toBe(manifestText);
    expect(out.entries).toEqual(entries);
    expect(existsSync(join(out.dir, MANIFEST_NAME))).toBe(false);
    expect(describeTree(out.dir)).toEqual(describeTree(src));
    expect(statSync(join(out.dir, 'bin/console')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out.dir, 'public/index.php')).mode & 0o777).toBe(0o644);
  });

  test('extracts into a given empty directory, refuses a non-empty one', async () => {
    const src = makeTree(tempDir(), { 'a.php': '<?php\n' });
    const { entries, manifestText } = await manifestOf(src);
    const a = await createReleaseArchive(src, entries, manifestText);
    trackTemp(a.dir);
    expect(basename(a.path)).toBe('release.tar.gz');
    const dest = join(tempDir(), 'new');
    const out = await extractArchive(a.path, dest);
    expect(out.dir).toBe(dest);
    expect(readdirSync(dest)).toEqual(['a.php']);
    const e = await errorOf(extractArchive(a.path, dest));
    expect(e.message).toBe(`cannot extract the release archive into ${dest}: the directory is not empty`);
  });

  test('an archive without a manifest, with a tree that differs, or corrupt: one-line errors; no temp dir left', async () => {
    const work = tempDir();
    const tree = makeTree(join(work, 'tree'), { 'a.php': '<?php\n', 'b.txt': 'b\n' });
    const noManifest = join(work, 'plain.tar.gz');
    execFileSync('tar', ['-czf', noManifest, '-C', tree, '.']);
    const e1 = await errorOf(extractArchive(noManifest, join(work, 'x1')));
    expect(e1.message).toBe(`the release archive has no ${MANIFEST_NAME}; it was not made by php-deploy`);
    expect(readdirSync(join(work, 'x1'))).toEqual([]);

    // A manifest that lists a.php only, with the wrong content hash.
    const { entries, manifestText } = await manifestOf(tree);
    writeFileSync(join(tree, MANIFEST_NAME), manifestText.split('\n').filter((l) => !l.endsWith('\tb.txt')).join('\n'));
    const extra = join(work, 'extra.tar.gz');
    execFileSync('tar', ['-czf', extra, '-C', tree, '.']);
    const e2 = await errorOf(extractArchive(extra, join(work, 'x2')));
    expect(e2.message).toBe('the release archive does not match its manifest: "b.txt" is not in the manifest');
    const loose = await extractArchive(extra, join(work, 'x3'), { verify: false });
    expect(loose.entries.map((e) => e.path)).toEqual(['a.php']);

    writeFileSync(join(tree, MANIFEST_NAME), manifestText);
    writeFileSync(join(tree, 'a.php'), '<?php // changed\n');
    const changed = join(work, 'changed.tar.gz');
    execFileSync('tar', ['-czf', changed, '-C', tree, '.']);
    const e3 = await errorOf(extractArchive(changed, join(work, 'x4')));
    expect(e3.message).toMatch(/^the release archive does not match its manifest: "a\.php" has \d+ bytes, not \d+$/);
    expect(entries.length).toBe(2);

    const corrupt = join(work, 'corrupt.tar.gz');
    writeFileSync(corrupt, Buffer.from('not a gzip at all'));
    const e4 = await errorOf(extractArchive(corrupt, join(work, 'x5')));
    expect(e4.message).toBe('the release archive is damaged: it is not valid gzip');
    expect(e4.oneLine()).not.toContain('\n');
  });

  test('a file that changed since the scan fails the pack and leaves no temp dir', async () => {
    const src = makeTree(tempDir(), { 'a.php': '<?php\n' });
    const { entries, manifestText } = await manifestOf(src);
    writeFileSync(join(src, 'a.php'), '<?php // grown\n');
    const root = tempDir();
    const e = await errorOf(createReleaseArchive(src, entries, manifestText, { tmpRoot: root }));
    expect(e.message).toMatch(/"a\.php" changed while packing/);
    expect(readdirSync(root)).toEqual([]);
    await expect(createReleaseArchive(src, entries, manifestText, { fileName: '../x' })).rejects.toThrow(RangeError);
    await removeTempDir(join(root, 'nothing'));
  });
});
