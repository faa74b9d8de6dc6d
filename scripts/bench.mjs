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
//   --hosts N        the many-hosts row: first and next-version deploys to 1 and to N network-
//                    namespace hosts (test/stack/hosts.sh, under flock /tmp/php-deploy-netns.lock);
//                    0 skips it (default 3)
//   --fanout-runs R  runs of each many-hosts cell (default 2)
//   --before-bundle F  also time the start of another build of the action (e.g. an older dist/index.js)
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
import { readEnv } from '../test/stack/env.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STACK = join(ROOT, 'test/stack/stack.sh');
const NEW_SITE = join(ROOT, 'test/stack/new-site.sh');
const SITES = '/home/deploy/sites';
const DB_NAME = 'php_deploy_bench';
const SITE_PREFIX = 'pdb';

// ---- options ------------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { runs: 5, quick: false, seed: 'php-deploy-bench-1', dir: '/var/tmp/php-deploy-bench', out: undefined, keepSites: false, isolate: true, hosts: 3, fanoutRuns: 2 };
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
    else if (a === '--hosts') o.hosts = Number(val());
    else if (a === '--fanout-runs') o.fanoutRuns = Number(val());
    else if (a === '--before-bundle') o.beforeBundle = resolve(val());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 27).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
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
  try {
    return readEnv('stack');
  } catch (e) {
    die(e.message);
  }
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

/**
 * The php-fpm reload command of this work tree (test/stack/reload-php-fpm.sh with the stack's paths),
 * installed for this run only, so the run measures this tree's script whatever another work tree's
 * `stack.sh start` last installed as the stack's own; it takes the stack's reload lock like that one.
 */
function installReloadScript() {
  const run = dirname(ctx.env.STACK_FPM_SOCKET);
  const dest = join(dirname(ctx.env.STACK_RELOAD_COMMAND), `.bench-reload-${process.pid}`);
  const text = readFileSync(join(ROOT, 'test/stack/reload-php-fpm.sh'), 'utf8')
    .replaceAll('@PIDFILE@', `${run}/php-fpm.pid`)
    .replaceAll('@LOGFILE@', `${run}/php-fpm.log`)
    .replaceAll('@LOCKFILE@', `${run}/reload-php-fpm.lock`);
  writeFileSync(dest, text, { mode: 0o755 });
  sh(`chown ${ctx.env.STACK_SSH_USER}: ${q(dest)}`);
  ctx.reloadScript = dest;
  ctx.env.STACK_RELOAD_COMMAND = dest;
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
  const bin = dirname(ctx.env.STACK_RELOAD_COMMAND);
  for (const f of existsSync(bin) ? readdirSync(bin) : []) {
    const m = /^\.bench-reload-(\d+)$/.exec(f);
    if (m && Number(m[1]) !== process.pid && !existsSync(`/proc/${m[1]}`)) rmSync(join(bin, f), { force: true });
  }
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
  if (ctx.reloadScript) rmSync(ctx.reloadScript, { force: true });
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
async function measure(label, argv, { env, disk, relayed = true, warm = [], allowFail = false } = {}) {
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
  if (r.code !== 0 && !allowFail) throw new Error(`${label} failed (exit ${r.code ?? r.signal}):\n${r.stderr.slice(-3000)}`);
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

/** The inputs every input with a default gets from the runner (INPUT_<NAME>), read from action.yml. */
let actionDefaultsCache;
function actionDefaults() {
  if (actionDefaultsCache) return actionDefaultsCache;
  const out = {};
  let section = '';
  let input = '';
  for (const line of readFileSync(join(ROOT, 'action.yml'), 'utf8').split('\n')) {
    const top = /^([a-z]+):/.exec(line);
    if (top) {
      section = top[1];
      continue;
    }
    if (section !== 'inputs') continue;
    const name = /^  ([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (name) input = name[1];
    const def = /^    default:\s*(.*)$/.exec(line);
    if (def && input) {
      const raw = def[1].trim();
      out[input] = raw.startsWith('"') ? JSON.parse(raw) : raw.replace(/^'(.*)'$/, '$1');
    }
  }
  return (actionDefaultsCache = out);
}

let actionSeq = 0;
/**
 * The action as the runner starts it: `node dist/index.js` (Node 24, the action's runtime) with
 * INPUT_* (the defaults of action.yml plus the step's `with:`), GITHUB_OUTPUT/STATE/STEP_SUMMARY
 * files and the usual GITHUB_* variables — without the artifact runtime (ACTIONS_RUNTIME_TOKEN), so
 * no archive is kept, as with `artifact: false`.
 */
function actionRun(command, site, inputs) {
  const dir = join(ctx.work, `action-${++actionSeq}`);
  sh(`mkdir -p ${q(dir)} && : >${q(`${dir}/output`)} && : >${q(`${dir}/state`)} && : >${q(`${dir}/summary`)}`);
  const all = {
    ...actionDefaults(),
    command,
    hosts: `${userHost()}:${ctx.relay.port}`,
    'ssh-key': readFileSync(ctx.env.STACK_SSH_KEY, 'utf8'),
    'known-hosts': readFileSync(ctx.knownHosts, 'utf8'),
    'deploy-path': site.path,
    'health-url': `http://${site.name}.localhost:${ctx.env.STACK_HTTP_PORT}/health`,
    'fpm-socket': ctx.env.STACK_FPM_SOCKET,
    'reload-command': ctx.env.STACK_RELOAD_COMMAND,
    ...inputs,
  };
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: `${dir}/output`,
    GITHUB_STATE: `${dir}/state`,
    GITHUB_STEP_SUMMARY: `${dir}/summary`,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_ACTOR: 'octocat',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: createHash('sha1').update(String(actionSeq)).digest('hex'),
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REF_NAME: 'main',
    RUNNER_TEMP: dir,
  };
  for (const [k, v] of Object.entries(all)) env[`INPUT_${k.toUpperCase()}`] = v;
  return { argv: [ctx.node, join(ROOT, 'dist/index.js')], env, outputFile: `${dir}/output` };
}

/** The runner's `name<<delimiter` output file as an object. */
function readOutputs(file) {
  const out = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(\S+)$/.exec(lines[i]);
    if (!m) continue;
    const val = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) val.push(lines[i]);
    out[m[1]] = val.join('\n');
  }
  return out;
}

/**
 * One php-deploy command as the CLI (`--json`) or the action runs it. Resolves the measurement with
 * .json: the CLI's result, or for the action its outputs in the same shape (deployId …).
 */
async function runFront(front, label, command, site, { source, version, extra = {} } = {}, measureOpts = {}) {
  if (front === 'cli') {
    const flags = [];
    if (source) flags.push('--source', source);
    if (version) flags.push('--release-version', version);
    for (const [k, v] of Object.entries(extra)) for (const one of String(v).split('\n')) flags.push(`--${k}`, one);
    const m = await measure(label, phpDeployArgs(command, site, flags), measureOpts);
    m.json = parseJson(m, label);
    return m;
  }
  const a = actionRun(command, site, { ...(source ? { source } : {}), ...(version ? { 'release-version': version } : {}), ...extra });
  const m = await measure(label, a.argv, { ...measureOpts, env: a.env });
  const outs = readOutputs(a.outputFile);
  if (!outs['deploy-id']) throw new Error(`${label}: the action set no deploy-id output:\n${m.stdout.slice(-1500)}`);
  m.json = { deployId: outs['deploy-id'], previousDeployId: outs['previous-deploy-id'], durationMs: Number(outs['duration-ms']) };
  return m;
}

function parseJson(m, what) {
  try {
    return JSON.parse(m.stdout);
  } catch {
    throw new Error(`${what}: php-deploy printed no JSON result:\n${m.stdout.slice(0, 500)}`);
  }
}

/** php-deploy (the CLI or the action): first deploy of v1, next-version deploy of v2, rollback to v1 — on one fresh site. */
async function runPhpDeploy(app, attribute = false, front = 'cli') {
  const site = newSite(front === 'cli' ? 'pd' : 'pda');
  const first = await runFront(front, `php-deploy ${front} first deploy`, 'deploy', site, { source: app.v1, version: 'v1' }, { disk: site.path, warm: [app.v1] });
  checkServed(site, ctx.label1, `php-deploy ${front} first deploy`);
  first.fullReleaseKB = duKB(`${site.path}/releases/${first.json.deployId}`);
  const delta = await runFront(front, `php-deploy ${front} next-version deploy`, 'deploy', site, { source: app.v2, version: 'v2' }, { disk: site.path, warm: [app.v2, `${site.path}/releases/${first.json.deployId}`] });
  checkServed(site, ctx.label2, `php-deploy ${front} next-version deploy`);
  const rollback = await runFront(front, `php-deploy ${front} rollback`, 'rollback', site, {}, { disk: site.path });
  checkServed(site, ctx.label1, `php-deploy ${front} rollback`);
  delta.metaKB = duKB(`${site.path}/.php-deploy/releases/${delta.json.deployId}`);
  // The floor of a hard-linked release: its own directories and the blocks of the files that are
  // not links to the previous release (new content); everything else is shared.
  const rel = `${site.path}/releases/${delta.json.deployId}`;
  delta.floorKB = Number(sh(`find ${q(rel)} \\( -type d -o -links 1 \\) -printf '%k\\n' | awk '{ s += $1 } END { print s + 0 }'`).stdout.trim());
  delta.dirs = Number(sh(`find ${q(rel)} -type d | wc -l`).stdout.trim());
  const attribution = attribute ? serverAttribution(site, delta.json.deployId, first.json.deployId) : undefined;
  removeSite(site);
  return { first, delta, rollback, attribution };
}

/** The example app as CI built it (examples/app with vendor/), in a work copy whose version file changes. */
function exampleBuild() {
  const dir = join(ctx.work, 'example-app');
  if (!existsSync(dir)) sh(`cp -a ${q(join(ROOT, 'examples/app'))}/. ${q(dir)}/`);
  return dir;
}
const setExampleVersion = (dir, v) => writeFileSync(join(dir, 'config/version.php'), `<?php\n\nreturn '${v}';\n`);
const EXAMPLE_FLAGS = { shared: '.env\nstorage', 'before-switch': 'php bin/migrate.php' };

/**
 * The example app (as in scripts/demo.sh: shared .env and storage, before-switch php bin/migrate.php):
 * a first deploy (untimed), then one file changed (config/version.php) and deployed, timed.
 */
async function runExample(front) {
  const site = newSite(front === 'cli' ? 'ex' : 'exa');
  const dir = exampleBuild();
  setExampleVersion(dir, '1.0.0');
  const setup = await runFront(front, `example ${front} setup`, 'deploy', site, { source: dir, version: 'v1.0.0', extra: EXAMPLE_FLAGS });
  void setup;
  setExampleVersion(dir, '1.1.0');
  const m = await runFront(front, `example ${front} one-file deploy`, 'deploy', site, { source: dir, version: 'v1.1.0', extra: EXAMPLE_FLAGS }, { disk: site.path, warm: [dir] });
  const page = sh(`curl -s --max-time 5 -H 'Host: ${site.name}.localhost' http://127.0.0.1:${ctx.env.STACK_HTTP_PORT}/`, { allowFail: true }).stdout;
  if (!page.includes('1.1.0')) throw new Error(`example ${front}: the site does not show version 1.1.0 after the deploy: ${page.slice(0, 200)}`);
  removeSite(site);
  return m;
}

/**
 * The floor of a checked rollback, in one run: one OpenSSH session that switches `current` to the
 * other of two tiny releases, reloads php-fpm and GETs the health URL through nginx (what a rollback
 * cannot do without), alternating between the releases.
 */
let floorSite;
let floorNext = 'r2';
async function runRollbackFloor() {
  if (!floorSite) {
    floorSite = newSite('floor');
    const php = (id) => `<?php if (($_SERVER['REQUEST_URI'] ?? '/') === '/health') { echo "ok ${id}\\n"; } else { echo "release ${id}\\n"; }`;
    for (const id of ['r1', 'r2']) {
      sh(`runuser -u ${ctx.env.STACK_SSH_USER} -- bash -c ${q(`mkdir -p ${q(`${floorSite.path}/releases/${id}/public`)} && printf '%s\n' ${q(php(id))} >${q(`${floorSite.path}/releases/${id}/public/index.php`)}`)}`);
    }
    sh(`runuser -u ${ctx.env.STACK_SSH_USER} -- bash -c ${q(switchCmd(floorSite, 'r1'))}`);
  }
  const id = floorNext;
  floorNext = id === 'r1' ? 'r2' : 'r1';
  const health = `http://${floorSite.name}.localhost:${ctx.env.STACK_HTTP_PORT}/health`;
  const remote = `${switchCmd(floorSite, id)} && [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' ${q(health)})" = 200 ]`;
  return measure('rollback floor', ['ssh', ...sshOpts(ctx.relay.port), userHost(), remote]);
}

/**
 * The server-side pieces of a delta upload, timed one by one on the deployed next-version release
 * (as the deploy user, warm cache, median of 3): what php-deploy's remote program does after the
 * last byte arrives, run again on a copy. The commands are those of src/remote/modules/40-manifest.sh
 * (unchanged_paths, tree_walk, verify_tree) and 50-upload.sh (cmd_upload); measured here, not taken
 * from the program.
 */
function serverAttribution(site, id, baseId) {
  const script = `
set -euo pipefail
export LC_ALL=C
cd ${q(site.path)}
rel=releases/${id}
base=$PWD/releases/${baseId}
t=$PWD/releases/.bench-attr
# The manifests as text (the server keeps them gzip'd).
man=$t.man
bman=$t.bman
gzip -dcf .php-deploy/releases/${id}/manifest >"$man"
gzip -dcf .php-deploy/releases/${baseId}/manifest >"$bman"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
unchanged() { awk -F '\\t' 'NR == FNR { if (FNR > 1 && $1 != "d") b[$5] = $0; next } FNR > 1 && $1 != "d" && ($5 in b) && b[$5] == $0 { print $5 }' "$bman" "$man"; }
mkdirs() { mkdir "$t" && awk -F '\\t' 'NR > 1 && $1 == "d" { print $5 }' "$man" | (cd "$t" && xargs -r -d '\\n' mkdir --); }
links() { unchanged | (cd "$base" && xargs -r -d '\\n' cp -P -l --parents -t "$t" --); }
walk() { (cd "$rel" && find . -mindepth 1 -printf '%y\\t%m\\t%s\\t%T@\\t%i\\t%P\\t%l\\n') | sort >/dev/null; }
inodes() { (cd "$base" && find . -type f -printf '%i\\t%P\\n') >/dev/null; }
hashsent() { (cd "$rel" && awk -F '\\t' 'NR == FNR { if (FNR > 1) u[$0] = 1; next } FNR > 1 && $1 == "f" && !($5 in u) { print $4 "  " $5 }' <(unchanged) "$man" | sha256sum --check --quiet --strict); }
cpal() { cp -al "$rel" "$t.cpal"; }
for i in 1 2 3; do
  rm -rf "$t" "$t.cpal"
  echo "mkdirs $(ms mkdirs)"
  echo "links_ms $(ms links)"
  echo "walk $(ms walk)"
  echo "inodes $(ms inodes)"
  echo "hashsent $(ms hashsent)"
  echo "cpal $(ms cpal)"
  rm -rf "$t" "$t.cpal"
done
echo "dirs $(awk -F '\\t' 'NR > 1 && $1 == "d"' "$man" | wc -l)"
echo "links $(unchanged | wc -l)"
echo "sent $(awk -F '\\t' 'NR == FNR { if (FNR > 1) u[$0] = 1; next } FNR > 1 && $1 == "f" && !($5 in u)' <(unchanged) "$man" | wc -l)"
echo "manifest_bytes $(wc -c <"$man")"
echo "manifest_gz_bytes $(gzip -6 -c "$man" | wc -c)"
rm -f "$man" "$bman"
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

// ---- how quiet the machine was --------------------------------------------------------------------
const TICK = 100; // USER_HZ
function procCpu(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // utime stime cutime cstime are fields 14-17 (rest[11..14])
    return { self: (Number(rest[11]) + Number(rest[12])) / TICK, children: (Number(rest[13]) + Number(rest[14])) / TICK, comm: f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')), ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used on the machine so far: in total (/proc/stat), by the benchmark (itself and every
 * process it waited for: the timed runs), by its private sshd (the server side of every session,
 * counted when each session ends), by the stack's php-fpm and nginx (live processes, and the children
 * they reaped), and by everything else.
 */
function cpuAccounting() {
  const t = cpuTimes();
  const me = procCpu(process.pid);
  const sshd = ctx.sshd ? procCpu(ctx.sshd.pid) : undefined;
  let stack = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const p = procCpu(pid);
    if (p && /^(php-fpm|nginx)/.test(p.comm)) stack += p.self + p.children;
  }
  return { wall: Date.now() / 1000, busy: (t.total - t.idle) / TICK, bench: (me?.self ?? 0) + (me?.children ?? 0), sshd: sshd ? sshd.self + sshd.children : 0, stack };
}
function cpuAccountingDiff(a, b) {
  const d = (k) => b[k] - a[k];
  const wall = d('wall');
  const other = Math.max(0, d('busy') - d('bench') - d('sshd') - d('stack'));
  return { wallS: wall, busyS: d('busy'), benchS: d('bench'), sshdS: d('sshd'), stackS: d('stack'), otherS: other, otherCores: other / wall };
}

/** The many-hosts row: scripts/bench/fanout.mjs on 1 and N namespace hosts, under the hosts' lock. */
function runFanout(o) {
  const out = join(ctx.work, 'fanout.json');
  const r = sh(`flock /tmp/php-deploy-netns.lock ${q(ctx.node)} ${q(join(ROOT, 'scripts/bench/fanout.mjs'))} --counts 1,${o.hosts} --runs ${o.fanoutRuns} --seed ${q(o.seed)} --dir ${q(o.dir)} --out ${q(out)} 2>&1`, { allowFail: true });
  if (r.status !== 0) {
    log(`many hosts: fanout.mjs failed (${r.status}): ${r.stdout.slice(-800)}`);
    return { error: r.stdout.slice(-400) };
  }
  return JSON.parse(readFileSync(out, 'utf8'));
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
  installReloadScript();
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
      await runPhpDeploy(app, false, 'action');
      await runExample('action');
      await runSshTrue(ctx.relay.port);
      await runRollbackFloor();
    }

    const R = { zip: [], tar: [], rsync: [], rsyncNoTimes: [], pdFirst: [], pdDelta: [], pdRollback: [], pdaFirst: [], pdaDelta: [], pdaRollback: [], exCli: [], exAction: [], floor: [], startAction: [], startNode: [], startBefore: [], sshTrue: [], sshTrueDirect: [], busy: [] };
    const acct0 = cpuAccounting();
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
      const pda = await attempt('php-deploy action', () => runPhpDeploy(app, false, 'action'));
      R.pdaFirst.push(pda.first);
      R.pdaDelta.push(pda.delta);
      R.pdaRollback.push(pda.rollback);
      log(`  php-deploy action: first ${(pda.first.wallMs / 1000).toFixed(2)} s, next ${(pda.delta.wallMs / 1000).toFixed(2)} s, rollback ${(pda.rollback.wallMs / 1000).toFixed(2)} s`);
      R.exCli.push(await attempt('example cli', () => runExample('cli')));
      R.exAction.push(await attempt('example action', () => runExample('action')));
      for (let i = 0; i < 3; i++) R.floor.push(await attempt('rollback floor', () => runRollbackFloor()));
      // What loading the action costs before any work: dist/index.js without inputs stops at the
      // first input check, after every module it imports up front is loaded.
      for (let i = 0; i < 3; i++) {
        R.startAction.push(await measure('action start', [ctx.node, join(ROOT, 'dist/index.js')], { relayed: false, env: { PATH: process.env.PATH }, allowFail: true }));
        R.startNode.push(await measure('node start', [ctx.node, '-e', '0'], { relayed: false }));
        if (o.beforeBundle) R.startBefore.push(await measure('action start (before)', [ctx.node, o.beforeBundle], { relayed: false, env: { PATH: process.env.PATH }, allowFail: true }));
      }
      log(`  example app one-file deploy: cli ${(R.exCli.at(-1).wallMs / 1000).toFixed(2)} s, action ${(R.exAction.at(-1).wallMs / 1000).toFixed(2)} s; rollback floor ${(median(R.floor.slice(-3).map((x) => x.wallMs)) / 1000).toFixed(2)} s`);
    }
    facts.cpuUse = cpuAccountingDiff(acct0, cpuAccounting());
    if (o.hosts > 1) {
      log(`many hosts: first and next-version deploys to 1 and ${o.hosts} hosts (waiting for /tmp/php-deploy-netns.lock) ...`);
      R.fanout = runFanout(o);
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
