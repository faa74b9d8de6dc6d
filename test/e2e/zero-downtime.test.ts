/**
 * Zero downtime, measured: 32 keep-alive connections hammer nginx while 20 alternating deploys and
 * rollbacks run. Every answer must be 200, no socket may fail, and no page may mix two releases (the
 * example app's page includes two files that each name the release they were loaded from).
 * With PHP_DEPLOY_RESULTS=<file> the numbers are written there (npm run bench puts them in docs/).
 */
import { writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { startLoad } from './faults-helpers.js';
import { appCopy, cli, deploy, newSite, setVersion, stackArgs } from './helpers.js';

test('no failed, dropped or mixed request across 20 alternating deploys and rollbacks under load', async () => {
  const site = newSite('zero-downtime');
  const first = await deploy(site, appCopy((d) => setVersion(d, 'v0')));
  expect(first.code, first.stderr).toBe(0);

  const load = startLoad(site, { connections: 32, maxMs: 280_000, pauseMs: 0 });
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
      failedOrMixed: stats.failureCount,
      releasesSeen: Object.keys(stats.releases).length,
      connections: 32,
      seconds: Math.round(seconds),
    };
    console.log(`zero-downtime: ${JSON.stringify(summary)}`);
    if (process.env.PHP_DEPLOY_RESULTS) writeFileSync(process.env.PHP_DEPLOY_RESULTS, JSON.stringify(summary, null, 2));
    // Any non-200, socket error, or page naming two releases is a failure.
    expect(stats.failures, 'first problems seen').toEqual([]);
    expect(stats.failureCount).toBe(0);
    expect(switches).toHaveLength(20);
    // The load really ran across the switches: many requests, several releases served.
    expect(stats.requests).toBeGreaterThan(1000);
    expect(summary.releasesSeen).toBeGreaterThanOrEqual(3);
  }
}, 300_000);
