#!/usr/bin/env node
// npm run bench — php-deploy against the usual ways to ship a PHP app, on the local server stack
// (test/stack/stack.sh), side by side in one run, median of N runs each. Writes docs/benchmarks.md.
//
//   node scripts/bench.mjs [--runs N] [--quick] [--seed S] [--dir /var/tmp/php-deploy-bench]
//                          [--out docs/benchmarks.md] [--keep-sites]
//
//   --runs N   timed runs of each approach (default 5); the table shows medians
//   --quick    one run, no warm-up, report to /tmp/php-deploy-bench-quick.md (smoke test)
//   --seed S   seed of the generated app (default php-deploy-bench-1)
//   --dir D    where the generated app lives (reused when already generated for the same seed)
//   --out F    markdown report path (default docs/benchmarks.md; --quick: a /tmp file)
//   --no-isolate  use the stack's sshd itself and normal priority (default: a private sshd with
//                 the stack's config on a free port, and every timed process, client and server
//                 side, at nice -10, so other work on the machine disturbs the runs less)
//   --report-from F  only re-render the report from the raw results of an earlier run
//                    (<dir>/last-run.json), without measuring anything
//
// Every tool's SSH traffic goes through a byte-counting relay (scripts/bench/relay.mjs) in front
// of sshd; peak RSS comes from GNU time; disk is `du` of the site before/after (hard links counted
// once). Needs root (it creates sites with test/stack/new-site.sh and reads /home/deploy).
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, hostname, release as kernelRelease, tmpdir, totalmem, loadavg, setPriority } from 'node:os';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupExecTemp, GNU_TIME, killActive, median, setNiceness, sh, timedRun } from './bench/exec.mjs';
import { ensureApp } from './bench/generate.mjs';
import { writeReport } from './bench/report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STACK = join(ROOT, 'test/stack/stack.sh');
const NEW_SITE = join(ROOT, 'test/stack/new-site.sh');
const SITES = '/home/deploy/sites';
const DB_NAME = 'php_deploy_bench';
const SITE_PREFIX = 'pdb';

// ---- options ------------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { runs: 5, quick: false, seed: 'php-deploy-bench-1', dir: '/var/tmp/php-deploy-bench', out: undefined, keepSites: false, isolate: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') o.runs = Number(val());
    else if (a.startsWith('--runs=')) o.runs = Number(a.slice(7));
    else if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = val();
    else if (a === '--dir') o.dir = val();
    else if (a === '--out') o.out = val();
    else if (a === '--keep-sites') o.keepSites = true;
    else if (a === '--no-isolate') o.isolate = false;
    else if (a === '--report-from') o.reportFrom = val();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 21).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown option ${a} (see --help)`);
  }
  if (o.quick) o.runs = 1;
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 50) die('--runs must be an integer 1-50');
  o.out ??= o.quick ? join(tmpdir(), 'php-deploy-bench-quick.md') : join(ROOT, 'docs/benchmarks.md');
  return o;
}

function die(msg) {
  process.stderr.write(`bench: error: ${msg}\n`);
  process.exit(1);
}
const log = (m) => process.stderr.write(`bench: ${m}\n`);

// ---- environment checks -------------------------------------------------------------------------
function stackEnv() {
  const r = sh(`bash ${JSON.stringify(STACK)} env`);
  const env = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return env;
}

function preflight(o) {
  if (process.getuid?.() !== 0) die('run as root: the benchmark creates sites with test/stack/new-site.sh and measures them with du');
  for (const tool of ['ssh', 'scp', 'rsync', 'zip', 'unzip', 'tar', 'gzip', 'du', 'curl', 'sync']) {
    if (sh(`command -v ${tool}`, { allowFail: true }).status !== 0) die(`${tool} is not installed (bash test/stack/stack.sh install installs the stack's tools)`);
  }
  if (!existsSync(GNU_TIME)) die(`${GNU_TIME} (GNU time, for peak RSS) is missing: apt-get install -y time`);
  if (!existsSync(join(ROOT, 'dist/cli.js'))) die('dist/cli.js is missing: run npm run bundle first');
  const status = sh(`bash ${JSON.stringify(STACK)} status`, { allowFail: true });
  if (status.status !== 0) {
    die(`the local server stack is not (fully) running:\n${status.stdout}${status.stderr}start it with: bash test/stack/stack.sh start`);
  }
  const env = stackEnv();
  const need = ['STACK_SSH_HOST', 'STACK_SSH_PORT', 'STACK_SSH_USER', 'STACK_SSH_KEY', 'STACK_KNOWN_HOSTS', 'STACK_FPM_SOCKET', 'STACK_RELOAD_COMMAND', 'STACK_HTTP_PORT'];
  for (const k of need) if (!env[k]) die(`stack.sh env did not print ${k}`);
  const probe = sh(`ssh -F /dev/null -i ${env.STACK_SSH_KEY} -p ${env.STACK_SSH_PORT} -o UserKnownHostsFile=${env.STACK_KNOWN_HOSTS} -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 ${env.STACK_SSH_USER}@${env.STACK_SSH_HOST} true`, { allowFail: true });
  if (probe.status !== 0) die(`cannot ssh to the stack (${env.STACK_SSH_USER}@${env.STACK_SSH_HOST}:${env.STACK_SSH_PORT}): ${probe.stderr.trim()}\nstart it with: bash test/stack/stack.sh start`);
  return env;
}

// ---- relay --------------------------------------------------------------------------------------
async function startRelay(target) {
  const child = fork(join(ROOT, 'scripts/bench/relay.mjs'), [target], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const waiting = new Map();
  const ready = new Promise((res, rej) => {
    child.once('error', rej);
    child.once('exit', (c) => rej(new Error(`relay exited (${c})`)));
    child.on('message', (m) => {
      if (m.ready) res(m.port);
      else if (waiting.has(m.id)) {
        waiting.get(m.id)(m);
        waiting.delete(m.id);
      }
    });
  });
  const port = await ready;
  const call = (cmd) =>
    new Promise((res) => {
      const id = ++nextId;
      waiting.set(id, res);
      child.send({ cmd, id });
    });
  return {
    port,
    pid: child.pid,
    reset: () => call('reset'),
    async read() {
      // wait until every relayed connection of the finished run has closed
      let m = await call('read');
      for (let i = 0; i < 100 && m.open > 0; i++) {
        await new Promise((r) => setTimeout(r, 30));
        m = await call('read');
      }
      return m;
    },
    stop() {
      try {
        child.send({ cmd: 'stop' });
      } catch {
        /* gone */
      }
      setTimeout(() => {
        if (child.exitCode === null) child.kill();
      }, 1000).unref();
    },
  };
}

// ---- private sshd (isolation) --------------------------------------------------------------------
function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The stack's sshd config on a free port, run at nice -10: its sessions inherit the priority. */
async function startPrivateSshd(work) {
  const port = await freePort();
  const pidFile = join(work, 'sshd.pid');
  const conf = readFileSync('/opt/php-deploy-stack/sshd_config', 'utf8')
    .replace(/^Port .*$/m, `Port ${port}`)
    .replace(/^PidFile .*$/m, `PidFile ${pidFile}`);
  if (!/^Port /m.test(conf) || !/^PidFile /m.test(conf)) throw new Error('unexpected /opt/php-deploy-stack/sshd_config (no Port/PidFile line)');
  const confFile = join(work, 'sshd_config');
  writeFileSync(confFile, conf);
  sh(`/usr/sbin/sshd -t -f ${q(confFile)}`);
  sh(`nice -n -10 /usr/sbin/sshd -f ${q(confFile)} -E ${q(join(work, 'sshd.log'))} </dev/null >/dev/null 2>&1`);
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    port,
    pid,
    stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    },
  };
}

// ---- sites --------------------------------------------------------------------------------------
const createdSites = new Set();
let siteSeq = 0;

function newSite(tag) {
  const name = `${SITE_PREFIX}-${process.pid}-${tag}-${++siteSeq}`;
  sh(`bash ${JSON.stringify(NEW_SITE)} ${name} ${DB_NAME} >/dev/null`);
  createdSites.add(name);
  return { name, path: `${SITES}/${name}` };
}

function removeSite(site) {
  sh(`rm -rf -- ${JSON.stringify(site.path)}`, { allowFail: true });
  createdSites.delete(site.name);
}

/** Sites left by an earlier benchmark that was killed (its pid is gone). */
function removeStaleSites() {
  let names = [];
  try {
    names = readdirSync(SITES);
  } catch {
    return;
  }
  for (const n of names) {
    const m = new RegExp(`^${SITE_PREFIX}-(\\d+)-`).exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    if (existsSync(`/proc/${m[1]}`)) continue;
    log(`removing stale site ${n} (its benchmark, pid ${m[1]}, is gone)`);
    sh(`rm -rf -- ${JSON.stringify(`${SITES}/${n}`)}`, { allowFail: true });
  }
}

let cleanedUp = false;
function cleanup(o, relay, work) {
  if (cleanedUp) return;
  cleanedUp = true;
  if (!o.keepSites) {
    for (const name of [...createdSites]) removeSite({ name, path: `${SITES}/${name}` });
    sh(`mariadb --defaults-file=/opt/php-deploy-stack/my.cnf -e 'DROP DATABASE IF EXISTS ${DB_NAME}'`, { allowFail: true });
  } else if (createdSites.size) log(`keeping sites: ${[...createdSites].join(' ')}`);
  relay?.stop();
  ctx.sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  cleanupExecTemp();
}

function duKB(path) {
  const r = sh(`du -sk -- ${JSON.stringify(path)}`);
  return Number(r.stdout.split(/\s+/)[0]);
}

function checkServed(site, expect, what) {
  const r = sh(`curl -s --max-time 5 -H 'Host: ${site.name}.localhost' http://127.0.0.1:${ctx.env.STACK_HTTP_PORT}/`, { allowFail: true });
  if (!r.stdout.includes(`release ${expect}`)) throw new Error(`${what}: ${site.name} does not serve release ${expect} (got: ${r.stdout.slice(0, 200) || r.stderr.slice(0, 200)})`);
}

// ---- the approaches -----------------------------------------------------------------------------
const ctx = {};

function sshOpts(port) {
  return ['-F', '/dev/null', '-i', ctx.env.STACK_SSH_KEY, '-p', String(port), '-o', `UserKnownHostsFile=${ctx.knownHosts}`, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes'];
}
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const sshStr = (port) => `ssh ${sshOpts(port).map(q).join(' ')}`;
const scpStr = (port) => `scp ${sshOpts(port).map((a) => (a === '-p' ? '-P' : a)).map(q).join(' ')}`;
const userHost = () => `${ctx.env.STACK_SSH_USER}@${ctx.env.STACK_SSH_HOST}`;

function switchCmd(site, id) {
  return `cd ${q(site.path)} && ln -sfn releases/${id} .current.tmp && mv -T .current.tmp current && ${q(ctx.env.STACK_RELOAD_COMMAND)} >/dev/null`;
}

/** One timed run: sync first (no writeback of the previous run in this one), relay counters reset. */
async function measure(label, argv, { env, disk, relayed = true, warm = [] } = {}) {
  // The source tree in the page cache, as in a CI job that just checked it out (this VM reclaims
  // idle page cache quickly, so a tree read a minute ago may be on disk again).
  for (const dir of warm) sh(`tar -C ${q(dir)} -cf - . >/dev/null`);
  sh('sync');
  quiet.checks++;
  if (!ctx.sshd) await waitQuiet(20_000, 0.3, 500);
  await ctx.relay.reset();
  const before = disk ? duKB(disk) : 0;
  const r = await timedRun(argv, { env });
  const wire = await ctx.relay.read();
  // Other work right after the run most likely overlapped it too: the caller repeats the attempt.
  const busyAfter = await cpuBusy(500);
  if (busyAfter > 0.3) {
    ctx.contaminated = true;
    log(`  ${label}: other work used ${(busyAfter * 100).toFixed(0)} % CPU right after it (${(r.wallMs / 1000).toFixed(2)} s); counted as disturbed`);
  }
  if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code ?? r.signal}):\n${r.stderr.slice(-3000)}`);
  const after = disk ? duKB(disk) : 0;
  return { disturbed: busyAfter > 0.3, busyAfter, wallMs: r.wallMs, up: relayed ? wire.up : NaN, down: relayed ? wire.down : NaN, conns: wire.conns, diskKB: disk ? after - before : NaN, rssKB: r.rssKB, stdout: r.stdout, lines: r.lines, startEpoch: r.startEpoch, timeline: wire.timeline };
}

/** Runs one approach (which builds its own fresh site) until no measurement in it was disturbed (MAX_ATTEMPTS at most). */
const MAX_ATTEMPTS = 3;
async function attempt(name, fn) {
  let result;
  const max = ctx.maxAttempts ?? MAX_ATTEMPTS;
  for (let i = 1; i <= max; i++) {
    if (i > 1) await waitQuiet(45_000, 0.2, 1000);
    ctx.contaminated = false;
    result = await fn();
    if (!ctx.contaminated) return result;
    if (i < max) quiet.repeated++;
    if (i === max) {
      quiet.keptDisturbed++;
      if (max > 1) log(`  ${name}: still disturbed after ${i} attempts; keeping the last one`);
    }
  }
  return result;
}

const bash = (script) => ['bash', '-c', `set -euo pipefail; ${script}`];

async function runZip(app) {
  const site = newSite('zip');
  const zip = join(ctx.work, 'release.zip');
  rmSync(zip, { force: true });
  const remote = `set -e; mkdir -p ${q(`${site.path}/releases/r1`)} && unzip -q ${q(`${site.path}/upload.zip`)} -d ${q(`${site.path}/releases/r1`)} && rm -f ${q(`${site.path}/upload.zip`)} && ${switchCmd(site, 'r1')}`;
  const m = await measure('zip', bash(`cd ${q(app.v1)} && zip -qr ${q(zip)} . && ${scpStr(ctx.relay.port)} -q ${q(zip)} ${userHost()}:${q(`${site.path}/upload.zip`)} && ${sshStr(ctx.relay.port)} ${userHost()} ${q(remote)}`), { disk: site.path, warm: [app.v1] });
  rmSync(zip, { force: true });
  checkServed(site, ctx.label1, 'zip');
  removeSite(site);
  return m;
}

async function runTar(app) {
  const site = newSite('tar');
  const remote = `set -e; mkdir -p ${q(`${site.path}/releases/r1`)} && tar -xzf - -C ${q(`${site.path}/releases/r1`)} && ${switchCmd(site, 'r1')}`;
  const m = await measure('tar', bash(`tar -C ${q(app.v1)} -cf - . | gzip | ${sshStr(ctx.relay.port)} ${userHost()} ${q(remote)}`), { disk: site.path, warm: [app.v1] });
  checkServed(site, ctx.label1, 'tar');
  removeSite(site);
  return m;
}

/** rsync of v2 against a v1 release that rsync put there before (untimed). */
async function runRsync(app, flags, tag) {
  const site = newSite(tag);
  const e = `-e ${q(sshStr(ctx.sshPort))}`;
  sh(`${sshStr(ctx.sshPort)} ${userHost()} ${q(`mkdir -p ${q(`${site.path}/releases`)}`)} && rsync -a ${e} ${q(app.v1 + '/')} ${userHost()}:${q(`${site.path}/releases/r1/`)} && ${sshStr(ctx.sshPort)} ${userHost()} ${q(switchCmd(site, 'r1'))}`);
  checkServed(site, ctx.label1, `${tag} setup`);
  const m = await measure(tag, bash(`rsync ${flags} --link-dest=${q(`${site.path}/releases/r1`)} -e ${q(sshStr(ctx.relay.port))} ${q(app.v2 + '/')} ${userHost()}:${q(`${site.path}/releases/r2/`)} && ${sshStr(ctx.relay.port)} ${userHost()} ${q(switchCmd(site, 'r2'))}`), { disk: site.path, warm: [app.v2, `${site.path}/releases/r1`] });
  checkServed(site, ctx.label2, tag);
  removeSite(site);
  return m;
}

function phpDeployArgs(cmd, site, extra) {
  return [
    ctx.node, join(ROOT, 'dist/cli.js'), cmd,
    '--hosts', `${userHost()}:${ctx.relay.port}`,
    '--ssh-key-file', ctx.env.STACK_SSH_KEY,
    '--known-hosts-file', ctx.knownHosts,
    '--deploy-path', site.path,
    '--health-url', `http://${site.name}.localhost:${ctx.env.STACK_HTTP_PORT}/health`,
    '--fpm-socket', ctx.env.STACK_FPM_SOCKET,
    '--reload-command', ctx.env.STACK_RELOAD_COMMAND,
    '--json',
    ...extra,
  ];
}

function parseJson(m, what) {
  try {
    return JSON.parse(m.stdout);
  } catch {
    throw new Error(`${what}: php-deploy printed no JSON result:\n${m.stdout.slice(0, 500)}`);
  }
}

/** php-deploy: first deploy of v1, next-version deploy of v2, rollback to v1 — on one fresh site. */
async function runPhpDeploy(app, attribute = false) {
  const site = newSite('pd');
  const first = await measure('php-deploy first deploy', phpDeployArgs('deploy', site, ['--source', app.v1, '--release-version', 'v1']), { disk: site.path, warm: [app.v1] });
  first.json = parseJson(first, 'first deploy');
  checkServed(site, ctx.label1, 'php-deploy first deploy');
  first.fullReleaseKB = duKB(`${site.path}/releases/${first.json.deployId}`);
  const delta = await measure('php-deploy next-version deploy', phpDeployArgs('deploy', site, ['--source', app.v2, '--release-version', 'v2']), { disk: site.path, warm: [app.v2, `${site.path}/releases/${first.json.deployId}`] });
  delta.json = parseJson(delta, 'next-version deploy');
  checkServed(site, ctx.label2, 'php-deploy next-version deploy');
  const rollback = await measure('php-deploy rollback', phpDeployArgs('rollback', site, []), { disk: site.path });
  rollback.json = parseJson(rollback, 'rollback');
  checkServed(site, ctx.label1, 'php-deploy rollback');
  delta.metaKB = duKB(`${site.path}/.php-deploy/releases/${delta.json.deployId}`);
  const attribution = attribute ? serverAttribution(site, delta.json.deployId) : undefined;
  removeSite(site);
  return { first, delta, rollback, attribution };
}

/**
 * The server-side pieces of a delta upload, timed one by one on the deployed next-version release
 * (as the deploy user, warm cache, median of 3): what php-deploy's remote script does after the
 * last byte arrives. Commands mirror src/remote/modules (cmd_upload, verify_tree,
 * tree_snapshot); they are measured here, not taken from the script.
 */
function serverAttribution(site, id) {
  const script = `
set -euo pipefail
cd ${q(site.path)}
rel=releases/${id}
man=$PWD/.php-deploy/releases/${id}/manifest
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
cpal() { cp -al "$rel" releases/.bench-cpal; }
hashall() { (cd "$rel" && awk -F '\t' 'NR > 1 && $1 == "f" { print $4 "  " $5 }' "$man" | sha256sum --check --quiet --strict); }
listing() { (cd "$rel" && find . -mindepth 1 -printf '%y\t%m\t%s\t%P\t%l\n' | sort); }
snapshot() { (cd "$rel" && find . -mindepth 1 -printf '%y\t%m\t%s\t%T@\t%P\n' | sort); }
for i in 1 2 3; do
  echo "cpal $(ms cpal)"; rm -rf releases/.bench-cpal
  echo "hashall $(ms hashall)"
  echo "listing $(ms listing)"
  echo "snapshot $(ms snapshot)"
done
echo "dirs $(find "$rel" -type d | wc -l)"
echo "files $(find "$rel" -type f | wc -l)"
echo "manifest_bytes $(wc -c <"$man")"
`;
  const r = sh(`runuser -u ${ctx.env.STACK_SSH_USER} -- bash -c ${q(script)}`, { allowFail: true });
  if (r.status !== 0) {
    log(`server-side attribution failed: ${r.stderr.trim().slice(0, 300)}`);
    return undefined;
  }
  const vals = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [k, v] = line.split(' ');
    (vals[k] ??= []).push(Number(v));
  }
  return Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, median(v)]));
}

async function runSshTrue(port) {
  return measure('ssh host true', ['ssh', ...sshOpts(port), userHost(), 'true'], { relayed: port === ctx.relay.port });
}

// ---- machine facts ------------------------------------------------------------------------------
function machineFacts() {
  const v = (cmd) => sh(cmd, { allowFail: true }).stdout.trim() || sh(cmd, { allowFail: true }).stderr.trim();
  let os = '';
  try {
    os = /PRETTY_NAME="?([^"\n]*)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    /* */
  }
  const cli = readFileSync(join(ROOT, 'dist/cli.js'));
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    host: hostname(),
    os,
    kernel: kernelRelease(),
    cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
    memGB: (totalmem() / 2 ** 30).toFixed(1),
    nodeBench: process.version,
    nodeDeploy: v(`${q(ctx.node)} --version`),
    ssh: v('ssh -V 2>&1').split(',')[0],
    rsync: v('rsync --version').split('\n')[0].replace(/\s+/g, ' '),
    zip: v('zip -v').split('\n')[1]?.trim() ?? '',
    tar: v('tar --version').split('\n')[0],
    gzip: v('gzip --version').split('\n')[0],
    phpDeploy: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}, dist/cli.js sha256 ${createHash('sha256').update(cli).digest('hex').slice(0, 12)} (built ${statSync(join(ROOT, 'dist/cli.js')).mtime.toISOString().replace(/\.\d+Z$/, 'Z')})`,
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

// ---- quiet machine ------------------------------------------------------------------------------
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

/** Share of all CPUs busy over `ms` (other work on the machine: tests of other engineers, …). */
async function cpuBusy(ms = 1000) {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Waits (up to maxMs) until the machine is mostly idle; returns the last busy share seen. */
async function waitQuiet(maxMs = 120_000, threshold = 0.25, sampleMs = 1000) {
  const t0 = Date.now();
  let busy = await cpuBusy(sampleMs);
  let said = false;
  while (busy > threshold && Date.now() - t0 < maxMs) {
    if (!said) log(`  machine busy (${(busy * 100).toFixed(0)} % CPU used by other work): waiting up to ${maxMs / 1000} s for it to settle`);
    said = true;
    busy = await cpuBusy(sampleMs);
  }
  if (said) quiet.waited++;
  if (busy > threshold) quiet.gaveUp++;
  return busy;
}
const quiet = { waited: 0, gaveUp: 0, checks: 0, repeated: 0, keptDisturbed: 0 };

/** Raw results without the bulky parts the report does not read (stdout of php-deploy is parsed already). */
function stripLines(R) {
  const out = {};
  for (const [k, v] of Object.entries(R)) out[k] = Array.isArray(v) ? v.map((r) => (r && typeof r === 'object' ? { ...r, stdout: undefined } : r)) : v;
  return out;
}

// ---- main ---------------------------------------------------------------------------------------
async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.reportFrom) {
    const raw = JSON.parse(readFileSync(o.reportFrom, 'utf8'));
    const { table } = writeReport({ ...raw.options, out: o.out }, raw);
    process.stdout.write(table + '\n');
    log(`report written to ${o.out}`);
    return;
  }
  ctx.env = preflight(o);
  ctx.node = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
  removeStaleSites();

  const app = ensureApp({ root: o.dir, seed: o.seed, log });
  ctx.label1 = `bench-v1-${o.seed}`;
  ctx.label2 = `bench-v2-${o.seed}`;
  log(`app: v1 ${app.stats.v1.files} files, ${(app.stats.v1.bytes / 1e6).toFixed(1)} MB; v2 changes: ${app.stats.changes.changed} changed, ${app.stats.changes.added} added, ${app.stats.changes.removed} removed; tar|gzip -6 ratio ${app.stats.gzipRatio}`);

  ctx.work = mkdtempSync(join(tmpdir(), 'php-deploy-bench-'));
  if (o.isolate) {
    setPriority(0, -10);
    setNiceness(-10);
    ctx.sshd = await startPrivateSshd(ctx.work);
    ctx.sshPort = ctx.sshd.port;
    ctx.maxAttempts = 1;
  } else {
    ctx.sshPort = Number(ctx.env.STACK_SSH_PORT);
    ctx.maxAttempts = 3;
  }
  const relayTarget = `${ctx.env.STACK_SSH_HOST}:${ctx.sshPort}`;
  ctx.relay = await startRelay(relayTarget);
  if (o.isolate) setPriority(ctx.relay.pid, -10);
  const onSignal = (sig) => {
    log(`${sig}: cleaning up`);
    killActive();
    cleanup(o, ctx.relay, ctx.work);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // known_hosts for the relay's port too (same host key as sshd's)
    const kh = readFileSync(ctx.env.STACK_KNOWN_HOSTS, 'utf8');
    const relayed = kh
      .split('\n')
      .filter((l) => l.startsWith(`[${ctx.env.STACK_SSH_HOST}]:${ctx.env.STACK_SSH_PORT} `))
      .flatMap((l) => [...new Set([ctx.relay.port, ctx.sshPort])].map((p) => l.replace(`]:${ctx.env.STACK_SSH_PORT} `, `]:${p} `)));
    if (!relayed.length) throw new Error(`no [${ctx.env.STACK_SSH_HOST}]:${ctx.env.STACK_SSH_PORT} line in ${ctx.env.STACK_KNOWN_HOSTS}`);
    ctx.knownHosts = join(ctx.work, 'known_hosts');
    writeFileSync(ctx.knownHosts, kh.trimEnd() + '\n' + relayed.join('\n') + '\n');
    const facts = machineFacts();
    log(`relay 127.0.0.1:${ctx.relay.port} → ${relayTarget}; php-deploy runs on ${ctx.node} (${facts.nodeDeploy}); load ${facts.load}`);

    // Warm the page cache with both trees (a CI checkout is warm too), and the tools.
    sh(`tar -C ${q(app.v1)} -cf - . >/dev/null && tar -C ${q(app.v2)} -cf - . >/dev/null && ${q(ctx.node)} ${q(join(ROOT, 'dist/cli.js'))} --help >/dev/null`);
    if (!o.quick) {
      log('warm-up round (not counted) ...');
      await runTar(app);
      await runPhpDeploy(app);
      await runSshTrue(ctx.relay.port);
    }

    const R = { zip: [], tar: [], rsync: [], rsyncNoTimes: [], pdFirst: [], pdDelta: [], pdRollback: [], sshTrue: [], sshTrueDirect: [], busy: [] };
    for (let run = 1; run <= o.runs; run++) {
      const busy = ctx.sshd ? await cpuBusy(1000) : await waitQuiet(30_000);
      R.busy.push(busy);
      log(`run ${run}/${o.runs} (background CPU ${(busy * 100).toFixed(0)} %)`);
      for (let i = 0; i < 3; i++) {
        R.sshTrue.push(await attempt('ssh true', () => runSshTrue(ctx.relay.port)));
        R.sshTrueDirect.push(await attempt('ssh true (direct)', () => runSshTrue(ctx.sshPort)));
      }
      R.zip.push(await attempt('zip', () => runZip(app)));
      log(`  (a) zip+scp+unzip      ${(R.zip.at(-1).wallMs / 1000).toFixed(2)} s`);
      R.tar.push(await attempt('tar', () => runTar(app)));
      log(`  (b) tar|gzip|ssh       ${(R.tar.at(-1).wallMs / 1000).toFixed(2)} s`);
      R.rsync.push(await attempt('rsync', () => runRsync(app, '-a -c', 'rsync')));
      log(`  (c) rsync -a -c        ${(R.rsync.at(-1).wallMs / 1000).toFixed(2)} s`);
      R.rsyncNoTimes.push(await attempt('rsync --no-times', () => runRsync(app, '-a -c --no-times', 'rsyncnt')));
      log(`  (c') rsync --no-times  ${(R.rsyncNoTimes.at(-1).wallMs / 1000).toFixed(2)} s`);
      const pd = await attempt('php-deploy', () => runPhpDeploy(app, run === o.runs));
      if (pd.attribution) R.attribution = pd.attribution;
      R.pdFirst.push(pd.first);
      R.pdDelta.push(pd.delta);
      R.pdRollback.push(pd.rollback);
      log(`  php-deploy first ${(pd.first.wallMs / 1000).toFixed(2)} s, next ${(pd.delta.wallMs / 1000).toFixed(2)} s, rollback ${(pd.rollback.wallMs / 1000).toFixed(2)} s; ssh true ${(median(R.sshTrue.slice(-3).map((x) => x.wallMs)) / 1000).toFixed(2)} s`);
    }
    facts.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
    facts.quiet = quiet;
    facts.isolated = Boolean(ctx.sshd);
    const raw = { options: o, facts, app: { stats: app.stats }, R: stripLines(R), relayPort: ctx.relay.port };
    const rawFile = join(o.dir, o.quick ? 'last-quick-run.json' : 'last-run.json');
    writeFileSync(rawFile, JSON.stringify(raw));
    log(`raw results: ${rawFile} (re-render with --report-from ${rawFile})`);
    const { table } = writeReport(o, raw);
    process.stdout.write(table + '\n');
    log(`report written to ${o.out}`);
  } finally {
    cleanup(o, ctx.relay, ctx.work);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: error: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
