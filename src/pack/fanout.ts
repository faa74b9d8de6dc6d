/**
 * One stream read once, written to several consumers: the release archive is packed and compressed
 * once for all hosts that need the same bytes, and each host's SSH channel reads its own copy.
 * The slowest consumer sets the pace (at most ~1 MiB waits in each copy). A consumer that goes away
 * (its host failed, its channel closed) is dropped and the others go on; when none is left the
 * source is destroyed. An error of the source destroys every copy with that error.
 */
import { PassThrough, type Readable } from 'node:stream';

const COPY_BUFFER = 1024 * 1024;

export function fanOut(source: Readable, count: number): Readable[] {
  if (count === 1) return [source];
  const outs = Array.from({ length: count }, () => new PassThrough({ highWaterMark: COPY_BUFFER }));
  const live = new Set(outs);
  for (const o of outs) {
    o.on('close', () => {
      live.delete(o);
      if (live.size === 0 && !source.destroyed) source.destroy();
    });
    // A copy's error reaches its consumer through the pipeline; never crash here.
    o.on('error', () => {});
  }
  const drained = (o: PassThrough): Promise<void> =>
    new Promise((resolve) => {
      const go = (): void => {
        o.off('drain', go);
        o.off('close', go);
        resolve();
      };
      o.on('drain', go);
      o.on('close', go);
    });
  void (async () => {
    try {
      for await (const chunk of source) {
        const waits: Promise<void>[] = [];
        for (const o of live) if (!o.write(chunk)) waits.push(drained(o));
        if (waits.length > 0) await Promise.all(waits);
        if (live.size === 0) return;
      }
      for (const o of live) o.end();
    } catch (err) {
      for (const o of live) o.destroy(err as Error);
    }
  })();
  return outs;
}
