// Timed process runs for the benchmark: wall time measured here, peak RSS from GNU time (%M: the
// largest ru_maxrss among the process and the descendants it waited for), stdout kept, stderr lines
// timestamped on arrival (ms since spawn) so phases can be timed finer than the CLI's own stamps.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const GNU_TIME = '/usr/bin/time';
let timeDir; // made on the first timed run, so importing this module leaves nothing behind
let seq = 0;
let active;
let niceness = 0;

/** Runs every later timed command at this niceness (negative = ahead of other work; needs root). */
export function setNiceness(n) {
  niceness = n;
}

/** Kills the timed run in progress (on SIGINT/SIGTERM of the benchmark). */
export function killActive() {
  try {
    active?.kill('SIGTERM');
  } catch {
    /* gone */
  }
}

export function cleanupExecTemp() {
  if (timeDir) rmSync(timeDir, { recursive: true, force: true });
  timeDir = undefined;
}

/**
 * Runs argv under GNU time. Resolves { code, signal, wallMs, rssKB, stdout, stderr, lines }.
 * Never rejects for a non-zero exit; the caller decides.
 */
export function timedRun(argv, { env, cwd, timeoutMs = 300_000, input } = {}) {
  timeDir ??= mkdtempSync(join(tmpdir(), 'php-deploy-bench-time-'));
  const tfile = join(timeDir, `t${++seq}`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const startEpoch = performance.timeOrigin + t0;
    const timeArgv = [GNU_TIME, '-f', '%M', '-o', tfile, ...argv];
    const full = niceness ? ['nice', '-n', String(niceness), ...timeArgv] : timeArgv;
    const child = spawn(full[0], full.slice(1), { env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    active = child;
    const out = [];
    const errChunks = [];
    const lines = [];
    let partial = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      const t = performance.now() - t0;
      errChunks.push(d);
      partial += d.toString('utf8');
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        lines.push({ t, text: partial.slice(0, i) });
        partial = partial.slice(i + 1);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      active = undefined;
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      if (partial) lines.push({ t: wallMs, text: partial });
      let rssKB = NaN;
      try {
        const txt = readFileSync(tfile, 'utf8').trim().split('\n');
        rssKB = Number(txt[txt.length - 1]);
        rmSync(tfile, { force: true });
      } catch {
        /* killed before time wrote it */
      }
      resolve({ code, signal, wallMs, startEpoch, rssKB, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errChunks).toString('utf8'), lines });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Synchronous helper for untimed setup steps; throws with the command's stderr on failure. */
export function sh(script, { allowFail = false, env } = {}) {
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`command failed (${r.status}): ${script.slice(0, 300)}\n${(r.stderr || '').slice(-2000)}`);
  }
  return r;
}

export function median(xs) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = Math.floor(a.length / 2);
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
