/**
 * Zero downtime, measured: 32 keep-alive connections hammer nginx while 20 alternating deploys and
 * rollbacks run. Every answer must be 200, no socket may fail, and no page may mix two releases (the
 * example app's page includes two files that each name the release they were loaded from).
 * With PHP_DEPLOY_RESULTS=<file> the numbers are written there (npm run bench puts them in docs/).
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { expect, test } from 'vitest';
import { appCopy, cli, deploy, newSite, setVersion, stack, stackArgs, type Site } from './helpers.js';

interface LoadStats {
  requests: number;
  non2xx: number;
  socketErrors: number;
  mixed: number;
  releasesSeen: Set<string>;
  examples: string[];
}

/** Bounded load on 127.0.0.1 only: `connections` loops until stop() is called. */
function startLoad(site: Site, connections: number): { stop: () => Promise<LoadStats> } {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const stats: LoadStats = { requests: 0, non2xx: 0, socketErrors: 0, mixed: 0, releasesSeen: new Set(), examples: [] };
  let running = true;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: stack.httpPort, path: '/', agent, headers: { Host: `${site.name}.localhost` }, timeout: 10_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => {
            stats.requests += 1;
            if (res.statusCode !== 200) {
              stats.non2xx += 1;
              if (stats.examples.length < 5) stats.examples.push(`${res.statusCode}: ${body.slice(0, 120)}`);
            }
            const parts = [...body.matchAll(/part-[ab] release=(\S+?)</g)].map((m) => m[1] as string);
            if (parts.length !== 2 || parts[0] !== parts[1]) {
              stats.mixed += 1;
              if (stats.examples.length < 5) stats.examples.push(`mixed: ${parts.join(' / ')}`);
            }
            for (const p of parts) stats.releasesSeen.add(p);
            resolve();
          });
          res.on('error', () => {
            stats.socketErrors += 1;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        stats.socketErrors += 1;
        if (stats.examples.length < 5) stats.examples.push(`socket: ${e.message}`);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: connections }, async () => {
    while (running) await one();
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return stats;
    },
  };
}

test('no failed, dropped or mixed request across 20 alternating deploys and rollbacks under load', async () => {
  const site = newSite('zero-downtime');
  const first = await deploy(site, appCopy((d) => setVersion(d, 'v0')));
  expect(first.code, first.stderr).toBe(0);

  const load = startLoad(site, 32);
  const started = Date.now();
  const switches: { kind: string; ms: number }[] = [];
  try {
    for (let i = 1; i <= 10; i++) {
      const d = await deploy(site, appCopy((dir) => setVersion(dir, `v${i}`)));
      expect(d.code, d.stderr).toBe(0);
      switches.push({ kind: 'deploy', ms: d.ms });
      const r = await cli(['rollback', ...stackArgs(site)]);
      expect(r.code, r.stderr).toBe(0);
      switches.push({ kind: 'rollback', ms: r.ms });
    }
  } finally {
    const stats = await load.stop();
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      switches: switches.length,
      requests: stats.requests,
      requestsPerSecond: Math.round(stats.requests / seconds),
      non2xx: stats.non2xx,
      socketErrors: stats.socketErrors,
      mixedReleases: stats.mixed,
      releasesSeen: stats.releasesSeen.size,
      connections: 32,
      seconds: Math.round(seconds),
    };
    console.log(`zero-downtime: ${JSON.stringify(summary)}`);
    if (process.env.PHP_DEPLOY_RESULTS) writeFileSync(process.env.PHP_DEPLOY_RESULTS, JSON.stringify(summary, null, 2));
    expect(stats.examples, 'first problems seen').toEqual([]);
    expect(stats.non2xx).toBe(0);
    expect(stats.socketErrors).toBe(0);
    expect(stats.mixed).toBe(0);
    expect(switches).toHaveLength(20);
    // The load really ran across the switches: many requests, several releases served.
    expect(stats.requests).toBeGreaterThan(1000);
    expect(stats.releasesSeen.size).toBeGreaterThanOrEqual(3);
  }
}, 300_000);
