import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { fanOut } from '../../../src/pack/fanout.js';

function chunks(n: number, size = 64 * 1024): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(size, i % 251));
}

/** Collects a stream, optionally slowly (a delay per chunk). */
async function collect(r: Readable, delayMs = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    r,
    new Writable({
      highWaterMark: 16 * 1024,
      write(c: Buffer, _e, cb) {
        parts.push(c);
        if (delayMs) setTimeout(cb, delayMs);
        else cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('fanOut', () => {
  it('every copy gets exactly the bytes of the source, read once, whatever each reader’s pace', async () => {
    const data = chunks(80);
    let reads = 0;
    const source = Readable.from(
      (function* () {
        for (const c of data) {
          reads++;
          yield c;
        }
      })(),
    );
    const copies = fanOut(source, 3);
    const got = await Promise.all([collect(copies[0]!), collect(copies[1]!, 1), collect(copies[2]!)]);
    const want = Buffer.concat(data);
    for (const g of got) expect(g.equals(want)).toBe(true);
    expect(reads).toBe(data.length);
  });

  it('a copy that goes away is dropped; the others finish', async () => {
    const data = chunks(60);
    const copies = fanOut(Readable.from(data), 2);
    const gone = collect(copies[0]!).catch((e: Error) => e);
    setTimeout(() => copies[0]!.destroy(new Error('host failed')), 5);
    const other = await collect(copies[1]!, 1);
    expect(other.equals(Buffer.concat(data))).toBe(true);
    expect(await gone).toBeInstanceOf(Error);
  });

  it("a source error fails every copy with it; when every copy is gone the source is destroyed", async () => {
    const bad = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000);
        throw new Error('file changed while packing');
      })(),
    );
    const copies = fanOut(bad, 2);
    const errs = await Promise.all(copies.map((c) => collect(c).catch((e: Error) => e.message)));
    expect(errs).toEqual(['file changed while packing', 'file changed while packing']);

    const endless = new Readable({ read() { this.push(Buffer.alloc(1024)); } });
    const two = fanOut(endless, 2);
    two[0]!.destroy();
    two[1]!.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(endless.destroyed).toBe(true);
  });
});
