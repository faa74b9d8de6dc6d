/** Reading the one file of an artifact's zip, against zips made by Info-ZIP (stored, deflated, zip64). */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { listZip, openZipEntry } from '../../../src/artifact/zip.js';
import { DeployError } from '../../../src/errors.js';
import { cleanupTemp, tempDir } from '../../artifact/helpers.js';

afterAll(() => cleanupTemp());

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

/** `zip <flags> out.zip name` in a dir holding `name` with `data`; returns the zip's path. */
function makeZip(flags: string[], name: string, data: Buffer): string {
  const dir = tempDir();
  writeFileSync(join(dir, name), data);
  execFileSync('zip', ['-q', '-X', ...flags, 'out.zip', name], { cwd: dir });
  return join(dir, 'out.zip');
}

describe('listZip / openZipEntry', () => {
  // Compressible and incompressible halves, so deflate really deflates.
  const data = Buffer.concat([Buffer.alloc(300_000, 'php-deploy '), randomBytes(300_000)]);

  test.each([
    ['stored', ['-0'], 0],
    ['deflated', ['-9'], 8],
    ['Info-ZIP -fz, stored', ['-0', '-fz'], 0],
  ])('%s', async (_what, flags, method) => {
    const zip = makeZip(flags as string[], 'php-deploy-x.tar.gz', data);
    const entries = await listZip(zip);
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([['php-deploy-x.tar.gz', method, data.length]]);
    expect((await readAll(openZipEntry(zip, entries[0]!))).equals(data)).toBe(true);
  });

  test.each([
    ['stored', 0],
    ['deflated', 6],
  ])('archiver (what @actions/artifact zips with), forced zip64, %s', async (_what, level) => {
    // @actions/artifact's own zip writer, with zip64 records forced (real ones need > 4 GiB).
    const { default: archiver } = (await import('archiver' as string)) as {
      default: { create(f: string, o: unknown): NodeJS.ReadableStream & { append(d: Buffer, o: { name: string }): void; finalize(): Promise<void> } };
    };
    const zip = archiver.create('zip', { zlib: { level }, forceZip64: true });
    const path = join(tempDir(), 'out.zip');
    const written = new Promise<void>((resolve, reject) => zip.pipe(createWriteStream(path)).on('close', () => resolve()).on('error', reject));
    zip.append(data, { name: 'php-deploy-y.tar.gz' });
    await zip.finalize();
    await written;
    expect(readFileSync(path).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // a zip64 end record
    const entries = await listZip(path);
    expect(entries.map((e) => [e.name, e.size])).toEqual([['php-deploy-y.tar.gz', data.length]]);
    expect((await readAll(openZipEntry(path, entries[0]!))).equals(data)).toBe(true);
  });

  test('zip64 sizes and offset in the central extra field (as written for entries over 4 GiB)', async () => {
    // Built by hand from APPNOTE 4.5.3: every 32-bit field of the central entry is 0xffffffff.
    const name = Buffer.from('big.tar.gz');
    const body = data.subarray(0, 5000);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(45, 6);
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(28, 30);
    central.writeUInt32LE(0xffffffff, 42);
    const extra = Buffer.alloc(28);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(body.length), 4); // uncompressed
    extra.writeBigUInt64LE(BigInt(body.length), 12); // compressed
    extra.writeBigUInt64LE(0n, 20); // local header offset
    const cdOffset = local.length + name.length + body.length;
    const cdSize = central.length + name.length + extra.length;
    const z64 = Buffer.alloc(56);
    z64.writeUInt32LE(0x06064b50, 0);
    z64.writeBigUInt64LE(44n, 4);
    z64.writeBigUInt64LE(1n, 24);
    z64.writeBigUInt64LE(1n, 32);
    z64.writeBigUInt64LE(BigInt(cdSize), 40);
    z64.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(0xffffffff, 12);
    eocd.writeUInt32LE(0xffffffff, 16);
    const path = join(tempDir(), 'z64.zip');
    writeFileSync(path, Buffer.concat([local, name, body, central, name, extra, z64, locator, eocd]));
    execFileSync('unzip', ['-tq', path]); // Info-ZIP agrees it is a valid zip
    const entries = await listZip(path);
    expect(entries).toEqual([{ name: 'big.tar.gz', method: 0, size: body.length, compressedSize: body.length, dataOffset: 30 + name.length }]);
    expect((await readAll(openZipEntry(path, entries[0]!))).equals(body)).toBe(true);
  });

  test('an empty file and a directory entry', async () => {
    const dir = tempDir();
    execFileSync('mkdir', ['-p', join(dir, 'd')]);
    writeFileSync(join(dir, 'd/empty'), '');
    execFileSync('zip', ['-q', '-r', 'out.zip', 'd'], { cwd: dir });
    const entries = await listZip(join(dir, 'out.zip'));
    expect(entries.map((e) => e.name)).toEqual(['d/empty']);
    expect((await readAll(openZipEntry(join(dir, 'out.zip'), entries[0]!))).length).toBe(0);
  });

  test('not a zip, cut short, a lying size: clear errors', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'plain'), 'not a zip at all');
    await expect(listZip(join(dir, 'plain'))).rejects.toThrow("the artifact's zip is damaged: it has no end of central directory (not a zip)");

    const zip = makeZip(['-0'], 'a.bin', data);
    const bytes = readFileSync(zip);
    writeFileSync(join(dir, 'short.zip'), bytes.subarray(0, 1000));
    await expect(listZip(join(dir, 'short.zip'))).rejects.toBeInstanceOf(DeployError);

    const [entry] = await listZip(zip);
    const err = await readAll(openZipEntry(zip, { ...entry!, size: entry!.size + 1 })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`the artifact's zip is damaged: "a.bin" holds ${data.length} bytes, not ${data.length + 1}`);
  });
});
