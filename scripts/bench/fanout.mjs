#!/usr/bin/env node
// Fan-out cost of one deploy to N hosts: wall time, phase times, client CPU and the bytes the client
// sends, for a first (full) deploy and a next-version (delta) deploy, on the test hosts of
// test/stack/hosts.sh (network namespaces 10.237.0.11…, each with its own sshd, php-fpm, nginx).
//
//   node scripts/bench/fanout.mjs [--counts 1,2,5,10] [--runs 2] [--rates 0,200] [--max-parallel 10]
//                                 [--seed S] [--dir /var/tmp/php-deploy-bench] [--out docs/fanout.json]
//
//   --counts   host counts to measure (hosts.sh up <max> is run first)
//   --runs     runs of each cell; the table shows medians
//   --rates    client upload bandwidth in Mbit/s, 0 = unlimited (veth, CPU-bound); a rate puts a tbf
//              qdisc on the bridge (pdbr0), which every byte from this machine to any host passes,
//              so it is the client's total uplink, shared by all hosts as a real uplink is
//   --out      raw results as JSON, rewritten after every cell (the markdown table so far is printed
//              on stdout after every cell); hosts taken away by another hosts.sh user are brought back
//
// Bytes are counted on the wire: tx_bytes of each host's veth (pdv<i>) on the machine's side, i.e.
// everything the client sent to that host, TCP/IP and SSH overhead included (plus the host's few
// bytes of MariaDB/memcached relay traffic, none for this app). The app is the deterministic ~65 MB,
// ~10k-file tree of scripts/bench/generate.mjs (v1, and v2 with ~2 % of files changed, fresh mtimes).
// Server CPU per host: each host's sshd in its own cpuacct cgroup (see cgroupsOn). Needs root.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ensureApp } from './generate.mjs';
import { median } from './exec.mjs';
import { readEnv } from '../../test/stack/env.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOSTS_SH = join(ROOT, 'test/stack/hosts.sh');
const CLI = join(ROOT, 'dist/cli.js');
const BRIDGE = 'pdbr0';
const NODE = (() => {
  const local = join(ROOT, 'node_modules/.bin/node');
  return spawnSync(local, ['--version']).status === 0 ? local : process.execPath;
})();

function die(m) {
  process.stderr.write(`fanout: ${m}\n`);
  process.exit(1);
}
const log = (m) => process.stderr.write(`[fanout] ${m}\n`);

function parseArgs(argv) {
  const o = { counts: [1, 2, 5, 10], runs: 2, rates: [0], maxParallel: 10, seed: 'php-deploy-bench-1', dir: '/var/tmp/php-deploy-bench', out: join(ROOT, 'docs/fanout.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? die(`${a} needs a value`);
    const nums = (s) => s.split(',').map((x) => Number(x.trim()));
    if (a === '--counts') o.counts = nums(val());
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--rates') o.rates = nums(val());
    else if (a === '--max-parallel') o.maxParallel = Number(val());
    else if (a === '--seed') o.seed = val();
    else if (a === '--dir') o.dir = val();
    else if (a === '--out') o.out = val();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 21).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown option ${a}`);
  }
  if (!o.counts.every((n) => Number.isInteger(n) && n >= 1 && n <= 12)) die('--counts: integers 1-12');
  if (!o.rates.every((r) => Number.isFinite(r) && r >= 0)) die('--rates: Mbit/s, 0 = unlimited');
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 20) die('--runs: 1-20');
  return o;
}

function sh(cmd, args, { allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && !allowFail) die(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-1500)}`);
  return r;
}
const hostsSh = (...args) => sh('bash', [HOSTS_SH, ...args]).stdout;

function hostsEnv() {
  try {
    return readEnv('hosts');
  } catch (e) {
    die(e.message);
  }
}

const txBytes = (i) => Number(readFileSync(`/sys/class/net/pdv${i}/statistics/tx_bytes`, 'utf8'));

/**
 * Server CPU per host: each host's sshd master is moved into its own cpuacct cgroup (v1 hierarchy,
 * accounting only: the cpu controller is a separate hierarchy, so scheduling is unchanged). Every
 * remote command of a deploy (tar, sha256sum, the detached activation) is a descendant and is
 * counted, exited processes included; php-fpm and nginx answering the health checks are not.
 */
const CPUACCT = '/sys/fs/cgroup/cpuacct';
const cgDir = (i) => join(CPUACCT, `pd-fanout-host${i}`);
const sshdPid = (env, i) => readFileSync(join(dirname(env[`HOST${i}_ROOT`]), '..', 'sshd.pid'), 'utf8').trim();

function cgroupsOn(env, n) {
  if (!existsSync(join(CPUACCT, 'cpuacct.usage'))) {
    log('no cgroup v1 cpuacct hierarchy: server CPU is not measured');
    return false;
  }
  for (let i = 1; i <= n; i++) {
    mkdirSync(cgDir(i), { recursive: true });
    writeFileSync(join(cgDir(i), 'cgroup.procs'), sshdPid(env, i));
  }
  return true;
}

function cgroupsOff(env, n) {
  for (let i = 1; i <= n; i++) {
    if (!existsSync(cgDir(i))) continue;
    // Whatever is still in it (the sshd master, a lingering session) goes back to the root group.
    for (const pid of readFileSync(join(cgDir(i), 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(CPUACCT, 'cgroup.procs'), pid);
      } catch {
        /* exited */
      }
    }
    try {
      rmdirSync(cgDir(i));
    } catch (e) {
      log(`could not remove ${cgDir(i)}: ${e.message}`);
    }
  }
}

function serverCpuS(i) {
  try {
    return Number(readFileSync(join(cgDir(i), 'cpuacct.usage'), 'utf8')) / 1e9;
  } catch {
    return NaN;
  }
}

function setRate(mbit) {
  sh('tc', ['qdisc', 'del', 'dev', BRIDGE, 'root'], { allowFail: true });
  if (mbit > 0) sh('tc', ['qdisc', 'add', 'dev', BRIDGE, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '256kb', 'latency', '200ms']);
}

/** Runs the CLI under GNU time; resolves wall ms, user+sys CPU s, peak RSS, stdout/stderr. */
function timed(args, tdir) {
  const tfile = join(tdir, `t${Math.random().toString(36).slice(2)}`);
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', tfile, NODE, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      let cpuS = NaN;
      let rssMB = NaN;
      try {
        const [u, s, m] = readFileSync(tfile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        cpuS = u + s;
        rssMB = m / 1024;
      } catch {
        /* killed */
      }
      resolvePromise({ code, wallMs, cpuS, rssMB, stdout, stderr });
    });
  });
}

function curlHealth(addr) {
  const r = sh('curl', ['-s', '--max-time', '5', `http://${addr}/health`], { allowFail: true });
  return r.stdout.trim();
}

async function deployOnce(env, n, source, label, o, tdir) {
  const list = Array.from({ length: n }, (_, k) => `deploy@${env[`HOST${k + 1}_ADDR`]}`).join(',');
  const before = Array.from({ length: n }, (_, k) => txBytes(k + 1));
  const cpuBefore = Array.from({ length: n }, (_, k) => serverCpuS(k + 1));
  const r = await timed(
    [
      'deploy',
      '--source', source,
      '--hosts', list,
      '--ssh-key-file', env.HOSTS_SSH_KEY,
      '--known-hosts-file', env.HOSTS_KNOWN_HOSTS,
      '--deploy-path', env.HOSTS_DEPLOY_PATH,
      '--health-url', env.HOSTS_HEALTH_URL,
      '--fpm-socket', env.HOSTS_FPM_SOCKET,
      '--reload-command', env.HOSTS_RELOAD_COMMAND,
      '--max-parallel', String(o.maxParallel),
      '--ssh-timeout', '30',
      '--json',
    ],
    tdir,
  );
  const wire = Array.from({ length: n }, (_, k) => txBytes(k + 1) - before[k]);
  // Sessions end with the CLI; give sshd a moment to reap them.
  await new Promise((r) => setTimeout(r, 300));
  const serverCpu = Array.from({ length: n }, (_, k) => serverCpuS(k + 1) - cpuBefore[k]);
  if (r.code !== 0) throw new Error(`deploy to ${n} hosts failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-15).join('\n')}`);
  const j = JSON.parse(r.stdout);
  for (let k = 1; k <= n; k++) {
    const body = curlHealth(env[`HOST${k}_ADDR`]);
    if (!body.includes(label)) throw new Error(`host${k} serves '${body}' after the deploy, expected ${label}`);
  }
  const phase = (name) => j.phases.find((p) => p.name === name)?.ms ?? 0;
  return {
    wallMs: Math.round(r.wallMs),
    cpuS: r.cpuS,
    rssMB: r.rssMB,
    wireBytes: wire.reduce((a, b) => a + b, 0),
    wirePerHost: wire,
    sentRawPerHost: j.hosts.map((h) => h.sentBytes),
    sentFilesPerHost: j.hosts.map((h) => h.sentFiles),
    phases: { connect: phase('connect'), preflight: phase('preflight'), lock: phase('lock'), upload: phase('upload'), activate: phase('activate') },
    skewMs: j.skewMs ?? 0,
    serverCpuPerHost: serverCpu,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) die('needs root (hosts.sh, tc)');
  const maxN = Math.max(...o.counts);
  const app = ensureApp({ root: o.dir, seed: o.seed, log });
  log(`app: ${app.stats.v1.files} files, ${(app.stats.v1.bytes / 1e6).toFixed(1)} MB; v2 changes ${app.stats.changes.changed} files (+${app.stats.changes.added} −${app.stats.changes.removed})`);
  log(`hosts.sh up ${maxN}`);
  hostsSh('up', String(Math.max(maxN, 1)));
  const env = hostsEnv();
  const tdir = mkdtempSync(join(tmpdir(), 'php-deploy-fanout-'));
  const results = [];
  let rate = 0;
  const onSignal = () => {
    setRate(0);
    cgroupsOff(env, maxN);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  cgroupsOn(env, maxN);
  /** Someone else's `hosts.sh up 3` or `down` (the e2e suite) removes hosts: bring them back. */
  const ensureHosts = () => {
    const up = sh('bash', [HOSTS_SH, 'status'], { allowFail: true });
    const have = (up.stdout.match(/^host\d+\s+running/gm) ?? []).length;
    if (up.status === 0 && have >= maxN && existsSync(cgDir(1))) return;
    log(`hosts changed under the benchmark (${have} running): hosts.sh up ${maxN} again`);
    cgroupsOff(env, maxN);
    hostsSh('up', String(maxN));
    cgroupsOn(env, maxN);
    setRate(rate);
  };
  try {
    for (rate of o.rates) {
      setRate(rate);
      for (const n of o.counts) {
        const cell = { rate, hosts: n, full: [], delta: [] };
        for (let run = 1; run <= o.runs; run++) {
          for (let attempt = 1; ; attempt++) {
            try {
              ensureHosts();
              hostsSh('clean', ...Array.from({ length: n }, (_, k) => String(k + 1)));
              const load = loadavg()[0].toFixed(2);
              const full = await deployOnce(env, n, app.v1, 'bench-v1-', o, tdir);
              const delta = await deployOnce(env, n, app.v2, 'bench-v2-', o, tdir);
              cell.full.push({ ...full, load });
              cell.delta.push(delta);
              log(
                `rate ${rate || '∞'} Mbit/s, ${n} host(s), run ${run}: full ${(full.wallMs / 1000).toFixed(2)} s ${(full.wireBytes / 1e6).toFixed(1)} MB cpu ${full.cpuS.toFixed(1)} s server ${full.serverCpuPerHost[0].toFixed(2)} s; ` +
                  `delta ${(delta.wallMs / 1000).toFixed(2)} s ${(delta.wireBytes / 1e6).toFixed(1)} MB cpu ${delta.cpuS.toFixed(1)} s server ${delta.serverCpuPerHost[0].toFixed(2)} s (load ${load})`,
              );
              break;
            } catch (e) {
              if (attempt >= 3) throw e;
              log(`run failed, retrying: ${String(e.message).split('\n')[0]}`);
            }
          }
        }
        results.push(cell);
        process.stdout.write(report(results, o, app));
      }
    }
  } finally {
    setRate(0);
    cgroupsOff(env, maxN);
    rmSync(tdir, { recursive: true, force: true });
  }
}

/** Writes the raw results (after every cell, so an interrupted run keeps what it measured); returns the table. */
function report(results, o, app) {
  const summary = results.map((c) => {
    const m = (runs, f) => median(runs.map(f));
    const row = (runs) => ({
      wallS: +(m(runs, (r) => r.wallMs) / 1000).toFixed(2),
      uploadS: +(m(runs, (r) => r.phases.upload) / 1000).toFixed(2),
      activateS: +(m(runs, (r) => r.phases.activate) / 1000).toFixed(2),
      otherS: +(m(runs, (r) => r.wallMs - r.phases.upload - r.phases.activate) / 1000).toFixed(2),
      wireMB: +(m(runs, (r) => r.wireBytes) / 1e6).toFixed(1),
      wirePerHostMB: +(m(runs, (r) => r.wireBytes / r.wirePerHost.length) / 1e6).toFixed(2),
      rawPerHostMB: +(m(runs, (r) => r.sentRawPerHost[0]) / 1e6).toFixed(2),
      cpuS: +m(runs, (r) => r.cpuS).toFixed(1),
      rssMB: Math.round(m(runs, (r) => r.rssMB)),
      skewMs: Math.round(m(runs, (r) => r.skewMs)),
      serverCpuPerHostS: +m(runs, (r) => r.serverCpuPerHost.reduce((a, b) => a + b, 0) / r.serverCpuPerHost.length).toFixed(2),
    });
    return { rate: c.rate, hosts: c.hosts, full: row(c.full), delta: row(c.delta) };
  });
  const facts = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    app: { files: app.stats.v1.files, bytes: app.stats.v1.bytes, v2Changed: app.stats.changes, changedBytes: app.stats.changedBytes },
    maxParallel: o.maxParallel,
    runs: o.runs,
  };
  writeFileSync(o.out, JSON.stringify({ facts, summary, results }, null, 2) + '\n');
  const lines = [
    '',
    '| uplink | hosts | full: wall | upload | activate | sent (wire) | per host | client CPU | server CPU/host | delta: wall | upload | activate | sent (wire) | per host | client CPU | server CPU/host |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of summary) {
    const f = s.full;
    const d = s.delta;
    lines.push(
      `| ${s.rate ? `${s.rate} Mbit/s` : 'unlimited'} | ${s.hosts} | ${f.wallS} s | ${f.uploadS} s | ${f.activateS} s | ${f.wireMB} MB | ${f.wirePerHostMB} MB | ${f.cpuS} s | ${f.serverCpuPerHostS} s | ${d.wallS} s | ${d.uploadS} s | ${d.activateS} s | ${d.wireMB} MB | ${d.wirePerHostMB} MB | ${d.cpuS} s | ${d.serverCpuPerHostS} s |`,
    );
  }
  return lines.join('\n') + '\n';
}

main().catch((e) => {
  setRate(0);
  die(e?.stack || String(e));
});
