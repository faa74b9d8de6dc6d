// A byte-counting TCP relay in front of sshd, run as a child process of the benchmark (fork + IPC),
// so every tool's SSH traffic passes the same counter:
//   127.0.0.1:<ephemeral> → <target host>:<target port>
// Messages from the parent: {cmd:'reset'} → {ok}; {cmd:'read'} → {up, down, conns, open}
// (up = client → server bytes, down = server → client, counted as they pass, TCP payload only).
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const [targetHost, targetPortText] = (process.argv[2] || '127.0.0.1:2222').split(':');
const targetPort = Number(targetPortText);

let up = 0;
let down = 0;
// Upstream/downstream bytes per 20 ms bucket since the last reset, on the epoch clock
// (performance.timeOrigin + now), so the parent can tell when data stopped flowing.
const BUCKET_MS = 20;
let buckets = new Map();
const clock = () => performance.timeOrigin + performance.now();
const mark = (dir, n) => {
  const b = Math.floor(clock() / BUCKET_MS);
  let e = buckets.get(b);
  if (!e) buckets.set(b, (e = [0, 0]));
  e[dir] += n;
};
let conns = 0;
let open = 0;

const server = net.createServer({ noDelay: true }, (client) => {
  conns++;
  open++;
  client.setNoDelay(true);
  const upstream = net.connect({ host: targetHost, port: targetPort, noDelay: true });
  upstream.setNoDelay(true);
  let closed = 0;
  const done = () => {
    if (++closed === 2) open--;
  };
  client.on('data', (d) => {
    up += d.length;
    mark(0, d.length);
  });
  upstream.on('data', (d) => {
    down += d.length;
    mark(1, d.length);
  });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => {
    upstream.destroy();
    done();
  });
  upstream.on('close', () => {
    client.destroy();
    done();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: true, port: server.address().port });
});

process.on('message', (m) => {
  if (m?.cmd === 'reset') {
    up = 0;
    down = 0;
    conns = 0;
    buckets = new Map();
    process.send?.({ id: m.id, ok: true });
  } else if (m?.cmd === 'read') {
    const timeline = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([b, [u, d]]) => [b * BUCKET_MS, u, d]);
    process.send?.({ id: m.id, up, down, conns, open, timeline });
  } else if (m?.cmd === 'stop') {
    server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
