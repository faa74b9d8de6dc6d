/**
 * Helpers for the fault-injection suite (faults.test.ts): a load generator that watches the site while
 * a fault happens, a TCP relay between the CLI and sshd that can cut or stall the connection, a tmpfs
 * deploy path, raw remote commands over the `ssh` client, and ONE function that checks the invariants
 * after every fault:
 *
 *   I1 `current` points to a complete release that passed its checks (the new one or the one before)
 *   I2 no partial release, no trash; a failed release only when marked failed (and `list` says so)
 *   I3 the lock is released
 *   I4 the deploy log records the faulted deploy (result and reason)
 *   I5 the site answered 200 the whole time, each response from one release
 *   I6 a failed deploy exits 1 with one line naming the host, the phase and the cause
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  cli,
  deployUser,
  lastLine,
  lines,
  newSite,
  readLog,
  served,
  serverState,
  siteName,
  stack,
  stackArgs,
  tempDir,
  type LogLine,
  type RunOptions,
  type RunResult,
  type ServerState,
  type Site,
} from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Sites: one deployed template, copied for each case (a deploy costs ~2 s, a copy ~20 ms)
// ---------------------------------------------------------------------------------------------

/**
 * A copy of `template` (a deployed site) as site `name`: same release, same shared .env (and so the
 * template's database, whose migrations already ran). `cp -a` keeps modes, mtimes and hard links, so
 * the live release still matches its verified tree snapshot and serves as a delta base.
 */
export function cloneSite(template: Site, name: string, { mounted = false } = {}): Site {
  name = siteName(name);
  const deployPath = join(stack.sites, name);
  // A mount point (tmpfs) stays; anything else is replaced.
  if (!mounted) rmSync(deployPath, { recursive: true, force: true });
  execFileSync('cp', ['-a', `${template.deployPath}/.`, `${deployPath}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://${name}.localhost:${stack.httpPort}`;
  return { name, deployPath, url, healthUrl: `${url}/health` };
}

/** The release `current` points to (its directory name), or '' when there is none. */
export function liveId(site: Site): string {
  try {
    return readlinkSync(join(site.deployPath, 'current')).replace(/\/$/, '').split('/').pop() ?? '';
  } catch {
    return '';
  }
}

/** Adds `mb` MB of incompressible random files (blobs/r<n>.bin, 1 MB each) to an app copy. */
export function addRandomFiles(dir: string, mb: number): void {
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  for (let i = 0; i < mb; i++) writeFileSync(join(dir, 'blobs', `r${i}.bin`), randomBytes(1024 * 1024));
}

// ---------------------------------------------------------------------------------------------
// The CLI as a child process the test can signal while it runs
// ---------------------------------------------------------------------------------------------

export interface RunningCli {
  child: ChildProcess;
  done: Promise<RunResult>;
  stderr(): string;
  /** Resolves when stderr has a line matching re (rejects after timeoutMs, or when the CLI exits first). */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

export function startCli(args: string[], opts: RunOptions = {}): RunningCli {
  let child: ChildProcess | undefined;
  let err = '';
  let exited = false;
  const done = cli(args, {
    ...opts,
    onSpawn: (c) => {
      child = c;
      c.stderr?.on('data', (d: string) => (err += d));
      opts.onSpawn?.(c);
    },
  }).finally(() => (exited = true));
  return {
    get child(): ChildProcess {
      return child as ChildProcess;
    },
    done,
    stderr: () => err,
    async waitForStderr(re: RegExp, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!lines(err).some((l) => re.test(l))) {
        if (exited) throw new Error(`the CLI exited before printing ${re}; stderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`no stderr line matching ${re} within ${timeoutMs} ms; stderr:\n${err}`);
        await sleep(10);
      }
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until check() is true; throws `what` after timeoutMs. */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** True when process `pid` has a file open under `dir` (e.g. the scan hashing a file of the source). */
export function hasOpenFileUnder(pid: number, dir: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Pids of the remote php-deploy processes running `command` for deployPath (the stack is local). */
export function remotePids(command: string, deployPath: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.indexOf('php-deploy');
    if (i !== -1 && argv[i + 1] === command && argv.includes(`path=${deployPath}`)) pids.push(Number(pid));
  }
  return pids;
}

/** True while a remote php-deploy `command` for deployPath runs on the server. */
export function remoteRunning(command: string, deployPath: string): boolean {
  return remotePids(command, deployPath).length > 0;
}

/** Entries of <deployPath>/releases ending in .partial or starting with .trash- (cheap enough to poll). */
export function partials(site: Site): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(site.deployPath, 'releases'));
  } catch {
    // no releases/ yet
  }
  return names.filter((n) => n.endsWith('.partial') || n.startsWith('.trash-'));
}

/** True while <deployPath>/.php-deploy/lock exists. */
export function locked(site: Site): boolean {
  return existsSync(join(site.deployPath, '.php-deploy/lock'));
}

// ---------------------------------------------------------------------------------------------
// Load: keep-alive clients hammering the site through nginx while a fault happens (I5)
// ---------------------------------------------------------------------------------------------

export interface LoadReport {
  requests: number;
  /**
   * Requests sent again because the server had closed the idle keep-alive connection they were sent
   * on (as every HTTP client does for a GET, RFC 9112 §9.3.1). php-deploy never does that — nginx does
   * when someone reloads it, which other work on the shared test stack does at any moment.
   */
  retriedStale: number;
  /** Every non-200, socket error or mixed response, described (first 20). */
  failures: string[];
  failureCount: number;
  /** Release → number of responses naming it. */
  releases: Record<string, number>;
}

export interface Load {
  stop(): Promise<LoadReport>;
}

/**
 * `connections` keep-alive loops of GET / to 127.0.0.1:<http port> with Host <site>.localhost, until
 * stop() (or maxMs). A response is a failure unless it is a 200 whose page names one release in
 * release=, part-a and part-b.
 */
export function startLoad(site: Site, { connections = 8, maxMs = 90_000, pauseMs = 2 } = {}): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const report: LoadReport = { requests: 0, retriedStale: 0, failures: [], failureCount: 0, releases: {} };
  const started = Date.now();
  let stopped = false;
  const fail = (what: string): void => {
    report.failureCount++;
    if (report.failures.length < 20) report.failures.push(`+${Date.now() - started}ms ${what}`);
  };
  const once = (retry = true): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        // The retry goes on a new connection: the other idle ones may be just as stale.
        { host: '127.0.0.1', port: stack.httpPort, path: '/', agent: retry ? agent : false, headers: { Host: `${site.name}.localhost` }, timeout: 10_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('error', (e) => {
            fail(`response error ${e.message}`);
            resolve();
          });
          res.on('end', () => {
            report.requests++;
            const release = /class="release">release=([^<]*)</.exec(body)?.[1];
            const a = /part-a release=([^<]*)</.exec(body)?.[1];
            const b = /part-b release=([^<]*)</.exec(body)?.[1];
            if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}: ${body.slice(0, 120).replace(/\s+/g, ' ')}`);
            else if (!release || release !== a || release !== b) fail(`mixed or unnamed release: release=${release} part-a=${a} part-b=${b}`);
            else report.releases[release] = (report.releases[release] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        // A reused keep-alive connection the server closed before answering: send the GET again, once.
        if (retry && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
          report.retriedStale++;
          void once(false).then(resolve);
          return;
        }
        fail(`socket error ${code} ${e.message}`);
        resolve();
      });
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() - started < maxMs) {
      await once();
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const workers = Promise.all(Array.from({ length: connections }, worker));
  return {
    async stop(): Promise<LoadReport> {
      stopped = true;
      await workers;
      agent.destroy();
      return report;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A TCP relay between the CLI and sshd that can cut or stall the connection
// ---------------------------------------------------------------------------------------------

export interface Relay {
  port: number;
  /** deploy@127.0.0.1:<port>, how the CLI names the host. */
  host: string;
  /** A known_hosts file listing the stack's host key for [127.0.0.1]:<port>. */
  knownHostsFile: string;
  /** Bytes passed from the CLI to sshd so far (all connections). */
  readonly upBytes: number;
  /** Resolves when the cut happened / when the relay stalled. */
  cut: Promise<void>;
  stalled: Promise<void>;
  /** Forwards again after a stall. */
  resume(): void;
  close(): Promise<void>;
}

const openRelays = new Set<Relay>();

/** Closes relays a failed case left open. */
export async function closeAllRelays(): Promise<void> {
  await Promise.all([...openRelays].map((r) => r.close()));
}

/**
 * Listens on a free loopback port and forwards every connection to `port` (the stack's sshd by default).
 * With cutAfterBytes, destroys every socket (both sides) once that many bytes went from the CLI to sshd;
 * with stallAfterBytes, stops forwarding CLI → sshd at that point until resume(); with
 * rateBytesPerSec, forwards CLI → sshd at most that fast (a slow uplink: the CLI's writes back up, as
 * on a real slow link).
 */
export async function startRelay(
  opts: { cutAfterBytes?: number; stallAfterBytes?: number; rateBytesPerSec?: number; port?: number } = {},
): Promise<Relay> {
  const sockets = new Set<Socket>();
  let up = 0;
  let cutDone: () => void = () => {};
  let stallDone: () => void = () => {};
  const cut = new Promise<void>((r) => (cutDone = r));
  const stalled = new Promise<void>((r) => (stallDone = r));
  let isCut = false;
  let isStalled = false;
  const held: { to: Socket; data: Buffer }[] = [];
  const pausedSockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(opts.port ?? stack.sshPort, stack.sshHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    if (isCut) {
      client.destroy();
      return;
    }
    upstream.on('data', (d: Buffer) => client.write(d));
    if (opts.rateBytesPerSec !== undefined) {
      throttle(client, upstream, opts.rateBytesPerSec, (n) => (up += n));
      return;
    }
    client.on('data', (d: Buffer) => {
      if (isCut) return;
      if (isStalled) {
        held.push({ to: upstream, data: d });
        return;
      }
      let chunk = d;
      if (opts.stallAfterBytes !== undefined && up + chunk.length >= opts.stallAfterBytes) {
        const n = Math.max(0, opts.stallAfterBytes - up);
        upstream.write(chunk.subarray(0, n));
        up += n;
        held.push({ to: upstream, data: chunk.subarray(n) });
        isStalled = true;
        client.pause();
        pausedSockets.add(client);
        stallDone();
        return;
      }
      up += chunk.length;
      upstream.write(chunk);
      if (opts.cutAfterBytes !== undefined && up >= opts.cutAfterBytes) {
        isCut = true;
        for (const s of sockets) s.destroy();
        cutDone();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const keyLine = lines(readFileSync(stack.knownHosts, 'utf8')).find((l) => l.trim() !== '' && !l.startsWith('#')) as string;
  const knownHostsFile = join(tempDir('php-deploy-relay-'), 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${keyLine.trim().split(/\s+/).slice(1, 3).join(' ')}\n`);
  const relay: Relay = {
    port,
    host: `${stack.sshUser}@127.0.0.1:${port}`,
    knownHostsFile,
    get upBytes(): number {
      return up;
    },
    cut,
    stalled,
    resume(): void {
      if (!isStalled) return;
      isStalled = false;
      opts.stallAfterBytes = undefined;
      for (const h of held.splice(0)) {
        up += h.data.length;
        h.to.write(h.data);
      }
      for (const s of pausedSockets) s.resume();
      pausedSockets.clear();
    },
    async close(): Promise<void> {
      if (!openRelays.delete(relay)) return;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  openRelays.add(relay);
  return relay;
}

/** Forwards from → to at most `rate` bytes per second, in 50 ms ticks; pauses `from` while behind. */
function throttle(from: Socket, to: Socket, rate: number, counted: (n: number) => void): void {
  const queue: Buffer[] = [];
  let queued = 0;
  const perTick = Math.max(1, Math.floor(rate / 20));
  const timer = setInterval(() => {
    let budget = perTick;
    while (budget > 0 && queue.length > 0) {
      const head = queue[0] as Buffer;
      const part = head.subarray(0, budget);
      if (part.length === head.length) queue.shift();
      else queue[0] = head.subarray(part.length);
      budget -= part.length;
      queued -= part.length;
      counted(part.length);
      to.write(part);
    }
    if (queued < perTick * 4 && from.isPaused()) from.resume();
  }, 50);
  from.on('data', (d: Buffer) => {
    queue.push(d);
    queued += d.length;
    if (queued > perTick * 8) from.pause();
  });
  from.on('close', () => clearInterval(timer));
  to.on('close', () => clearInterval(timer));
}

// ---------------------------------------------------------------------------------------------
// A clock that steps, for the server side only (libfaketime in a private sshd)
// ---------------------------------------------------------------------------------------------

export interface FakeClockSshd {
  port: number;
  /** deploy@127.0.0.1:<port>, how the CLI names the host. */
  host: string;
  knownHostsFile: string;
  /** Every remote process started through this sshd sees the clock `seconds` ahead from now on. */
  step(seconds: number): void;
  close(): Promise<void>;
}

/**
 * A second sshd (the stack's config and host key, its own port) whose sessions run under libfaketime
 * (Debian package libfaketime) with the offset read from a file at every clock read: step() moves
 * the clock of every remote command started through it — already running ones included — and of
 * nothing else on the machine. The machine's real clock is never touched, and the engine is not
 * involved (it cannot set anything that reaches the remote's environment).
 */
export async function startFakeClockSshd(): Promise<FakeClockSshd> {
  const lib = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'].find((f) => existsSync(f));
  if (!lib) throw new Error('libfaketime is not installed (apt-get install libfaketime; test/stack/stack.sh install does it)');
  const dir = tempDir('php-deploy-clock-');
  chmodSync(dir, 0o755);
  const clock = join(dir, 'clock');
  writeFileSync(clock, '+0\n', { mode: 0o644 });
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const child = spawn(
    '/usr/sbin/sshd',
    [
      '-D',
      '-f',
      join(stack.dir, 'sshd_config'),
      '-o',
      `Port=${port}`,
      '-o',
      `PidFile=${join(dir, 'sshd.pid')}`,
      '-o',
      `SetEnv=LD_PRELOAD=${lib} FAKETIME_TIMESTAMP_FILE=${clock} FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1`,
      '-E',
      join(dir, 'sshd.log'),
    ],
    { stdio: 'ignore' },
  );
  await until(
    'the fake-clock sshd to listen',
    () => {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    100,
  );
  const keyLine = lines(readFileSync(stack.knownHosts, 'utf8')).find((l) => l.trim() !== '' && !l.startsWith('#')) as string;
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${keyLine.trim().split(/\s+/).slice(1, 3).join(' ')}\n`);
  return {
    port,
    host: `${stack.sshUser}@127.0.0.1:${port}`,
    knownHostsFile,
    step(seconds: number): void {
      writeFileSync(clock, `+${seconds}\n`);
    },
    async close(): Promise<void> {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A small filesystem as the deploy path (disk full)
// ---------------------------------------------------------------------------------------------

/** Mounts a tmpfs of `mb` MB owned by the deploy user over `path` (created if needed). */
export function mountTmpfs(path: string, mb: number): void {
  const { uid, gid } = deployUser();
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,uid=${uid},gid=${gid},mode=755`, 'tmpfs', path]);
}

export function unmount(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  }
}

/** Fills the filesystem of `dir` with a file `name` until nothing is free; returns its path. */
export function fillDisk(dir: string, name = 'filler'): string {
  const path = join(dir, name);
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=64k'], { stdio: 'ignore' });
  } catch {
    // dd stops with ENOSPC: that is the point.
  }
  const st = statfsSync(dir);
  expect(Number(st.bavail) * Number(st.bsize), 'free bytes after filling').toBeLessThan(128 * 1024);
  return path;
}

/** A lock file as a deploy on another machine would have written it (owned by the deploy user). */
export function writeLock(site: Site, lock: { token: string; holder: string; id: string; acquired: number; expires: number }): void {
  const file = join(site.deployPath, '.php-deploy/lock');
  writeFileSync(file, `token=${lock.token}\nholder=${lock.holder}\nid=${lock.id}\nacquired=${lock.acquired}\nexpires=${lock.expires}\n`);
  const { uid, gid } = deployUser();
  chownSync(file, uid, gid);
  chmodSync(file, 0o644);
}

// ---------------------------------------------------------------------------------------------
// Remote commands over the OpenSSH client (for faults below the CLI: a corrupt archive)
// ---------------------------------------------------------------------------------------------

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` (a remote command line as src/remote/commands.ts builds it) with `ssh`, stdin from a buffer. */
export function sshRun(command: string, input?: Buffer): Promise<SshResult> {
  const args = [
    '-p',
    String(stack.sshPort),
    '-i',
    stack.key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${stack.knownHosts}`,
    '-o',
    'LogLevel=ERROR',
    `${stack.sshUser}@${stack.sshHost}`,
    '--',
    command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** The `@@php-deploy fail <phase> <text>` line of a remote command's output. */
export function remoteFailure(stdout: string): { phase: string; text: string } | undefined {
  const m = /^@@php-deploy fail (\S+) (.*)$/m.exec(stdout);
  return m ? { phase: m[1] as string, text: m[2] as string } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The invariants, checked after every fault
// ---------------------------------------------------------------------------------------------

export interface FaultExpectation {
  /** I1: the release that must be live afterwards. */
  live: string;
  /** I5: releases visitors may have seen (default: the one live before and `live`). */
  served?: string[];
  /** I2: releases allowed to remain marked failed (kept because they were live for a moment). */
  failedKept?: string[];
  /** I2: meta directories without a release directory that the test made itself (e.g. deleted a release by hand). */
  orphanMeta?: string[];
  /** I3: 'released' (default), or 'any' when a later step is what must release it. */
  lock?: 'released' | 'any';
  /**
   * I4: the log line the faulted run must have added (matched against the lines added since start);
   * `id` defaults to any id other than the one live before.
   */
  log?: { event?: string; result: string; phase?: string; reason: RegExp; id?: string };
  /** I6: the run whose failure to check, and the host ('' for none; default the stack's), phase and cause its one line must name. */
  run?: { result: RunResult; host?: string; phase: string; cause: RegExp; code?: number };
  /** I5: skip the load check (the test removed `current` on purpose). */
  noLoad?: boolean;
}

export interface FaultOutcome {
  /** The log lines the fault added. */
  log: LogLine[];
  /** The id of the faulted deploy (from the log), if any. */
  faultedId?: string;
  load?: LoadReport;
  after: ServerState;
}

/**
 * Watches a site through a fault: snapshots it and starts the load at start(); verify() stops the
 * load and asserts I1–I6 for what the test says must hold.
 */
export class FaultWatch {
  readonly before: ServerState;
  readonly liveBefore: string;
  private readonly logBefore: number;
  private readonly load?: Load;

  private constructor(
    readonly site: Site,
    withLoad: boolean,
    loadMs: number,
  ) {
    this.before = serverState(site.deployPath);
    this.liveBefore = liveId(site);
    this.logBefore = readLog(site.deployPath).length;
    if (withLoad) this.load = startLoad(site, { maxMs: loadMs });
  }

  /** Starts watching; with load (I5) unless { load: false }, for at most loadMs. */
  static async start(site: Site, { load = true, loadMs = 90_000 } = {}): Promise<FaultWatch> {
    const w = new FaultWatch(site, load, loadMs);
    if (load) {
      // The site must answer before the fault, or I5 means nothing.
      expect(await served(site)).toBe(w.liveBefore);
    }
    return w;
  }

  /** The log lines added since start(). */
  newLog(): LogLine[] {
    return readLog(this.site.deployPath).slice(this.logBefore);
  }

  async verify(exp: FaultExpectation): Promise<FaultOutcome> {
    const site = this.site;
    const load = this.load ? await this.load.stop() : undefined;
    const after = serverState(site.deployPath);
    const state = join(site.deployPath, '.php-deploy');
    const meta = (id: string, f: string): boolean => existsSync(join(state, 'releases', id, f));

    // I6 first: when it fails, its output explains the rest.
    if (exp.run) {
      const r = exp.run.result;
      const verdict = lastLine(r.stderr);
      expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(exp.run.code ?? 1);
      expect(r.stdout, 'nothing on stdout for a failed deploy').toBe('');
      expect(lines(r.stderr).filter((l) => l.startsWith('php-deploy:')), `one verdict line; stderr:\n${r.stderr}`).toEqual([verdict]);
      // host '' for a failure before any host is contacted (the scan).
      const host = exp.run.host ?? stack.host;
      const prefix = `php-deploy: ${host ? `${host}: ` : ''}${exp.run.phase}: `;
      expect(verdict.startsWith(prefix), `"${verdict}" starts with "${prefix}"`).toBe(true);
      expect(verdict.slice(prefix.length)).toMatch(exp.run.cause);
    }

    // I1: current → a complete release that passed its checks, the expected one, and it serves.
    const current = after.current;
    expect(current, 'current is a symlink to releases/<id>').toMatch(/^releases\/[A-Za-z0-9][A-Za-z0-9._-]*$/);
    const live = (current as string).slice('releases/'.length);
    expect(live).toBe(exp.live);
    expect(live.endsWith('.partial')).toBe(false);
    expect(lstatSync(join(site.deployPath, 'releases', live)).isDirectory(), 'current is not dangling').toBe(true);
    expect(meta(live, 'ok'), `${live} completed a deploy`).toBe(true);
    expect(meta(live, 'failed'), `${live} is not marked failed`).toBe(false);
    expect(await served(site)).toBe(live);

    // I2: no partial or trash; every other release completed, or is a failed one kept on purpose.
    expect(after.releases.filter((n) => n.endsWith('.partial') || n.startsWith('.trash-')), 'partial uploads or trash left').toEqual([]);
    const failedKept = exp.failedKept ?? [];
    for (const id of after.releases) {
      if (id === live) continue;
      if (failedKept.includes(id)) {
        expect(meta(id, 'failed'), `${id} is kept only marked failed`).toBe(true);
      } else {
        expect(meta(id, 'ok') && !meta(id, 'failed'), `release ${id} is neither complete nor an expected failed one`).toBe(true);
      }
    }
    for (const id of failedKept) expect(after.releases, `failed release ${id} kept`).toContain(id);
    const metaIds = [...new Set(after.meta.map((m) => m.split('/')[0] as string))];
    expect(metaIds.filter((id) => !after.releases.includes(id) && !(exp.orphanMeta ?? []).includes(id)), 'state of releases that do not exist').toEqual([]);
    expect(after.stateExtra, 'leftovers in .php-deploy (seed, cancel files, temp locks)').toEqual([]);
    expect(readdirSync(site.deployPath).sort(), 'leftovers in the deploy path (temp symlinks, probes)').toEqual(['.php-deploy', 'current', 'releases', 'shared']);
    if (failedKept.length > 0) {
      const list = await cli(['list', ...stackArgs(site)]);
      expect(list.code, list.stderr).toBe(0);
      for (const id of failedKept) expect(lines(list.stdout).find((l) => l.includes(id)), `list marks ${id} failed`).toMatch(/ failed$/);
    }

    // I3: the lock.
    if ((exp.lock ?? 'released') === 'released') expect(after.lock, 'lock released').toBeNull();

    // I4: the log.
    const log = this.newLog();
    let faultedId: string | undefined;
    if (exp.log) {
      const want = exp.log;
      const hit = log.find(
        (l) =>
          (want.event ?? 'deploy') === l.event &&
          l.result === want.result &&
          (want.phase === undefined || l.phase === want.phase) &&
          (want.id === undefined ? l.id !== this.liveBefore : l.id === want.id) &&
          want.reason.test(l.reason ?? ''),
      );
      expect(hit, `a log line ${JSON.stringify({ ...want, reason: String(want.reason) })} among:\n${log.map((l) => JSON.stringify(l)).join('\n')}`).toBeDefined();
      faultedId = hit?.id;
    }

    // I5: the load.
    if (load) {
      const allowed = exp.served ?? [...new Set([this.liveBefore, exp.live])];
      expect(load.failures, `${load.failureCount} failed requests of ${load.requests}`).toEqual([]);
      expect(load.requests, 'the load generator made requests').toBeGreaterThan(20);
      expect(Object.keys(load.releases).filter((r) => !allowed.includes(r)), `releases served: ${JSON.stringify(load.releases)}`).toEqual([]);
    } else if (!exp.noLoad) {
      throw new Error('FaultWatch started without load: pass noLoad to verify()');
    }
    return { log, faultedId, load, after };
  }
}

/** The template for cloneSite: a fresh site with the example app deployed once. */
export async function deployTemplate(name: string, app: string): Promise<{ site: Site; id: string }> {
  const site = newSite(name);
  const r = await cli(['deploy', '--source', app, ...stackArgs(site)]);
  if (r.code !== 0) throw new Error(`template deploy failed:\n${r.stderr}`);
  const id = /^deployed (\S+)/m.exec(r.stdout)?.[1] as string;
  return { site, id };
}

/** At most `n` callers hold a slot at once: `const release = await slot(); … release()`. */
export function semaphore(n: number): () => Promise<() => void> {
  let free = n;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
}
