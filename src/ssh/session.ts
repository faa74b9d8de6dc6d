import { Readable, pipeline, type Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import SshClient from 'ssh2/lib/client.js';
import { DeployError } from '../errors.js';
import { blobKeyType, fingerprint, isRevoked, lookupHost, type HostLookup, type ParsedKnownHosts } from './known-hosts.js';
import type { HostTarget } from './target.js';

export interface ConnectOptions {
  /** Private key text (validate it first with loadPrivateKey). */
  privateKey: string;
  passphrase?: string;
  knownHosts: ParsedKnownHosts;
  /** Upper bound for TCP connect + SSH handshake + authentication. */
  timeoutMs: number;
  /** SSH keepalive interval (default 15 s; 3 unanswered drop the connection). 0 disables. */
  keepaliveIntervalMs?: number;
  /** Aborting gives up the connection attempt at once and rejects with `signal.reason`'s message. */
  signal?: AbortSignal;
  /** An already open stream to the server (a channel forwarded through a jump host) instead of TCP. */
  sock?: Duplex;
}

export interface ExecOptions {
  /** Sent to the command's stdin, then EOF. Without it the command gets EOF at once. */
  stdin?: Readable | string | Buffer;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Aborting closes the channel and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Closes the channel and rejects when the command runs longer. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal or the server sent none. */
  code: number | null;
  /** Signal name (e.g. `SIGTERM`) when the command was killed by one. */
  signal?: string;
  /** The output (the last OUTPUT_CAP bytes of it). */
  stdout: string;
  stderr: string;
  /** True when stdout/stderr were longer than OUTPUT_CAP and only their tail is kept. */
  truncated?: boolean;
}

/** How much of each output stream exec keeps (the tail). */
export const OUTPUT_CAP = 4 * 1024 * 1024;
/** A line longer than this is passed to the line callback in pieces. */
const MAX_LINE = 64 * 1024;

const KEY_TYPE_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * The host key algorithms to offer for the key types known_hosts lists, so that a server with several
 * host keys presents one the user trusts. Undefined (ssh2's defaults) when none of the types is usable.
 */
export function hostKeyAlgorithms(keyTypes: string[]): ServerHostKeyAlgorithm[] | undefined {
  const out: ServerHostKeyAlgorithm[] = [];
  // ssh2's preference order, not the file's.
  for (const type of Object.keys(KEY_TYPE_ALGORITHMS)) {
    if (keyTypes.includes(type)) out.push(...(KEY_TYPE_ALGORITHMS[type] ?? []));
  }
  return out.length > 0 ? out : undefined;
}

type Verdict = 'trusted' | 'unknown' | 'mismatch' | 'revoked';

interface ConnectState {
  lookup: HostLookup;
  offered?: Buffer;
  verdict?: Verdict;
  restrictedTo?: string[];
  hardTimeout: boolean;
}

const CODES_DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
const CODES_UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN']);

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

function hostPort(t: HostTarget): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

function hostKeyMessage(target: HostTarget, state: ConnectState): string {
  const where = hostPort(target);
  const blob = state.offered ?? Buffer.alloc(0);
  const offered = `${blobKeyType(blob) ?? 'unknown-type'} ${fingerprint(blob)}`;
  const keyscan = `"ssh-keyscan -p ${target.port} ${target.host}"`;
  switch (state.verdict) {
    case 'revoked':
      return `host key refused: ${where} offered ${offered}, which known-hosts marks @revoked`;
    case 'mismatch':
      return (
        `host key not trusted: ${where} offered ${offered}, which does not match the known-hosts entry — ` +
        `possible man-in-the-middle or a reinstalled server; if it was reinstalled, verify the new key and replace the line with one from ${keyscan}`
      );
    default: {
      const ca = state.lookup.certAuthority
        ? ' (known-hosts names it only in a @cert-authority line; host certificates are not supported, list the host key itself)'
        : '';
      return `host key not trusted: ${where} offered ${offered}, which is not in known-hosts${ca}; verify it and add the line from ${keyscan}`;
    }
  }
}

function connectErrorMessage(err: unknown, target: HostTarget, opts: ConnectOptions, state: ConnectState): string {
  const e = (err ?? {}) as { message?: string; code?: string; level?: string };
  const msg = String(e.message ?? err);
  const where = hostPort(target);
  if (state.verdict !== undefined && state.verdict !== 'trusted') return hostKeyMessage(target, state);
  if (state.hardTimeout || e.level === 'client-timeout' || e.code === 'ETIMEDOUT') {
    return `no answer within ${seconds(opts.timeoutMs)} from ${where}; check the host, the port and that SSH is reachable from here`;
  }
  if (e.code === 'ECONNREFUSED') return `connection refused by ${where}; is sshd running there, and is the port right?`;
  if (e.code !== undefined && CODES_DNS.has(e.code)) return `cannot resolve host name "${target.host}" (${e.code}); check the spelling in hosts`;
  if (e.code !== undefined && CODES_UNREACHABLE.has(e.code)) return `cannot reach ${where} (${e.code})`;
  if (e.level === 'client-authentication') {
    return `the server refused the ssh-key for user ${target.user}; add its public key to ~${target.user}/.ssh/authorized_keys on the server`;
  }
  if (/no matching host key/i.test(msg) && state.restrictedTo) {
    return (
      `host key not trusted: ${where} has no ${state.restrictedTo.join('/')} host key, the type known-hosts lists for it; ` +
      `verify the server's key and add the line from "ssh-keyscan -p ${target.port} ${target.host}"`
    );
  }
  if (e.code === 'ECONNRESET' || /No response from server/.test(msg)) {
    return `${where} closed the connection before the SSH handshake completed; is it an SSH server?`;
  }
  return `ssh connection to ${where} failed: ${msg.replace(/\s+/g, ' ')}`;
}

/**
 * Opens one SSH connection to target, trusting only host keys listed for it in known_hosts.
 *
 * ssh2's client does the connecting (key and passphrase, `sock` for a jump host); commands run on
 * its raw exec channels (SshSession.exec): php-deploy streams a release archive into `tar` and needs
 * both the exit status and a local stream error, with output kept bounded.
 */
export async function connectSsh(target: HostTarget, opts: ConnectOptions): Promise<SshSession> {
  const lookup = lookupHost(opts.knownHosts, target.host, target.port);
  const trusted = new Set(lookup.keys.map((k) => k.keyBase64));
  const serverHostKey = hostKeyAlgorithms(lookup.keys.map((k) => k.keyType));
  const state: ConnectState = {
    lookup,
    hardTimeout: false,
    restrictedTo: serverHostKey ? [...new Set(lookup.keys.map((k) => k.keyType))] : undefined,
  };

  const hostVerifier = (key: Buffer): boolean => {
    state.offered = Buffer.from(key);
    if (isRevoked(opts.knownHosts, key)) state.verdict = 'revoked';
    else if (trusted.has(key.toString('base64'))) state.verdict = 'trusted';
    else state.verdict = lookup.keys.length > 0 ? 'mismatch' : 'unknown';
    return state.verdict === 'trusted';
  };

  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    privateKey: opts.privateKey,
    passphrase: opts.passphrase || undefined,
    readyTimeout: opts.timeoutMs,
    hostVerifier,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    tryKeyboard: false,
    ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
    ...(opts.sock ? { sock: opts.sock } : {}),
  };

  let timer: NodeJS.Timeout | undefined;
  const { conn, ready: connecting } = connectClient(config);
  connecting.catch(() => {});
  let onAbort: (() => void) | undefined;
  const hard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      state.hardTimeout = true;
      reject(new Error('hard timeout'));
    }, opts.timeoutMs + 250);
    onAbort = () => reject(opts.signal?.reason);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([connecting, hard]);
  } catch (err) {
    try {
      conn.destroy();
    } catch {
      // already gone
    }
    if (opts.signal?.aborted) {
      const why = opts.signal.reason instanceof Error ? opts.signal.reason.message : String(opts.signal.reason ?? 'cancelled');
      throw new DeployError(why, { host: target.label, phase: 'connect', cause: err });
    }
    throw new DeployError(connectErrorMessage(err, target, opts, state), { host: target.label, phase: 'connect', cause: err });
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
  return new SshSession(target, conn);
}

/**
 * ssh2's client, connected: resolves once authenticated. It keeps an error listener for good, so a late
 * error never crashes the process; a connection that closes before it is ready rejects as "No response
 * from server" (ETIMEDOUT), as node-ssh did (this module used node-ssh for this alone: it loaded
 * make-dir and semver with it, ~20 ms of every start).
 */
function connectClient(config: ConnectConfig): { conn: Client; ready: Promise<void> } {
  const conn = new SshClient();
  const ready = new Promise<void>((resolve, reject) => {
    conn.on('error', reject);
    conn.once('ready', () => resolve());
    conn.once('close', () => reject(Object.assign(new Error('No response from server'), { code: 'ETIMEDOUT' })));
    // A config ssh2 refuses throws here: a rejection like any other connect failure.
    conn.connect(config);
    // ssh2 writes a packet in up to three writes (length, ciphertext, MAC): with Nagle's algorithm the
    // second waits for the server's delayed ACK, ~40 ms on every round trip of the handshake and of
    // every command. Applied once the socket connects (a jump host's channel has no such setting).
    conn.setNoDelay(true);
  });
  return { conn, ready };
}

/**
 * Connects to target through jump hosts (OpenSSH's ProxyJump): a connection to the first jump host,
 * a channel forwarded through it to the next one (ssh2's forwardOut, given to the next client as `sock`), and
 * so on to the target. Every hop's host key is checked against known-hosts like the target's; the
 * same key authenticates every hop. Closing the returned session closes the jump connections too.
 */
export async function connectThrough(target: HostTarget, jumps: readonly HostTarget[], opts: ConnectOptions): Promise<SshSession> {
  if (jumps.length === 0) return connectSsh(target, opts);
  const chain: SshSession[] = [];
  const hops = [...jumps, target];
  try {
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i]!;
      const via = chain.at(-1);
      const sock = via ? await via.forwardOut(hop, opts.timeoutMs) : undefined;
      try {
        chain.push(await connectSsh(hop, { ...opts, sock }));
      } catch (err) {
        if (i === hops.length - 1) throw err;
        const why = err instanceof Error ? err.message : String(err);
        throw new DeployError(`jump host ${hostPort(hop)}: ${why}`, { host: target.label, phase: 'connect', cause: err });
      }
    }
  } catch (err) {
    for (const s of chain.reverse()) void s.close();
    throw err;
  }
  const session = chain.pop()!;
  session.closesAlso(chain.reverse());
  return session;
}

/** Keeps the last `cap` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.cap) {
      const first = this.chunks[0]!;
      const excess = this.size - this.cap;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }
  toString(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}

/** Splits a byte stream into lines (LF or CRLF) for a callback. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      this.emit(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
    while (this.pending.length > MAX_LINE) {
      this.emit(this.pending.slice(0, MAX_LINE));
      this.pending = this.pending.slice(MAX_LINE);
    }
  }
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }
  private emit(line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}

/**
 * Asks sshd to send a signal to the command (OpenSSH ≥ 7.9 honours "signal" requests), so a cancelled
 * command does not linger on the server. ssh2's channel.signal() refuses once stdin is at EOF, which is
 * the normal state here, so this sends the request directly; best effort.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  const id = ch.outgoing?.id;
  const state = ch.outgoing?.state;
  if (typeof id !== 'number' || (state !== 'open' && state !== 'eof')) return;
  try {
    ch._client?._protocol?.signal?.(id, name);
  } catch {
    // not supported or already gone
  }
}

/** What the engine needs of a connection to a server (the SSH session, or a scripted stand-in in engine tests). */
export interface RemoteSession {
  readonly label: string;
  readonly isConnected: boolean;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

/** One SSH connection to one host; several exec calls may run on it at once (one channel each). */
export class SshSession implements RemoteSession {
  readonly label: string;
  readonly target: HostTarget;
  private readonly conn: Client;
  private closed = false;
  private closing = false;
  private lastError: Error | undefined;
  private readonly running = new Set<(err: Error) => void>();
  private readonly closedPromise: Promise<void>;
  private through: SshSession[] = [];

  constructor(target: HostTarget, conn: Client) {
    this.target = target;
    this.label = target.label;
    this.conn = conn;
    conn.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.closedPromise = new Promise<void>((resolve) => {
      const onGone = (): void => {
        if (this.closed) return;
        this.closed = true;
        resolve();
        // Channels normally close themselves right after; this covers any that do not.
        const fails = [...this.running];
        setImmediate(() => {
          for (const fail of fails) fail(this.lostError());
        });
      };
      conn.on('close', onGone);
      conn.on('end', onGone);
    });
  }

  get isConnected(): boolean {
    return !this.closed && !this.closing;
  }

  /** Sessions (jump hosts) this one runs through: closed after it, nearest first. */
  closesAlso(sessions: SshSession[]): void {
    this.through = sessions;
    void this.closedPromise.then(() => {
      for (const s of this.through) void s.close();
    });
  }

  /**
   * A TCP connection from this server to `to` (a direct-tcpip channel), for the next hop of a jump.
   * Rejects with a one-line reason when the server refuses it or does not answer within timeoutMs.
   */
  forwardOut(to: HostTarget, timeoutMs: number): Promise<Duplex> {
    return new Promise<Duplex>((resolve, reject) => {
      const where = `${this.target.host}:${this.target.port}`;
      const dest = `${to.host}:${to.port}`;
      const timer = setTimeout(() => {
        reject(new DeployError(`jump host ${where} did not open a connection to ${dest} within ${seconds(timeoutMs)}`, { host: to.label, phase: 'connect' }));
      }, timeoutMs);
      try {
        this.conn.forwardOut('127.0.0.1', 0, to.host, to.port, (err, channel) => {
          clearTimeout(timer);
          if (err) {
            reject(
              new DeployError(
                `jump host ${where} could not open a connection to ${dest} (${err.message.replace(/^\(SSH\) /, '')}); ` +
                  'check the address, and that the jump host allows TCP forwarding there (AllowTcpForwarding, PermitOpen)',
                { host: to.label, phase: 'connect', cause: err },
              ),
            );
            return;
          }
          resolve(channel);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new DeployError(`jump host ${where}: ${(err as Error).message}`, { host: to.label, phase: 'connect', cause: err }));
      }
    });
  }

  private lostError(): DeployError {
    const why = this.closing
      ? 'the connection was closed'
      : `the connection was lost${this.lastError ? ` (${this.lastError.message.replace(/\s+/g, ' ')})` : ''}`;
    return new DeployError(`ssh: ${why} while a command was running`, { host: this.label, cause: this.lastError });
  }

  /**
   * Runs a command on a new channel of this connection, streaming stdin into it. Resolves with the exit
   * status (a non-zero status is not an error); rejects on a local stdin error (even if the remote then
   * exits 0), on abort (with `signal.reason`), on timeout and when the connection drops.
   */
  // long: one command's life: the channel and its settle-once state (settled, exit, localError, timer)
  // with the short handlers that share it (fail, finish, onAbort, onLocalError, the channel's events).
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(opts.signal.reason);
        return;
      }
      if (!this.isConnected) {
        reject(new DeployError(`ssh: not connected (${this.closing ? 'closed' : 'connection lost'})`, { host: this.label }));
        return;
      }

      const stdout = new TailBuffer(OUTPUT_CAP);
      const stderr = new TailBuffer(OUTPUT_CAP);
      const outLines = opts.onStdoutLine ? new LineSplitter(opts.onStdoutLine) : undefined;
      const errLines = opts.onStderrLine ? new LineSplitter(opts.onStderrLine) : undefined;
      let channel: ClientChannel | undefined;
      let settled = false;
      let exit: { code: number | null; signal?: string } | undefined;
      let remoteDone = false;
      let localError: unknown;
      let timer: NodeJS.Timeout | undefined;

      const closeChannel = (): void => {
        if (!channel) return;
        if (!remoteDone) sendSignal(channel, 'TERM');
        try {
          channel.close();
        } catch {
          // already closed
        }
      };
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.running.delete(fail);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        cleanup();
        closeChannel();
        // Nobody will read the rest of stdin: release its producer (pipeline does the same on errors).
        if (opts.stdin instanceof Readable && !opts.stdin.destroyed && !opts.stdin.readableEnded) opts.stdin.destroy();
        reject(err);
      };
      const onAbort = (): void => fail(opts.signal?.reason);
      // A stdin (or channel) error fails the command at once, whatever the remote would exit with. An
      // error after the remote command has exited is pipeline tearing stdin down, not a local failure.
      const onLocalError = (e: unknown): void => {
        if (remoteDone || localError !== undefined) return;
        localError = e;
        fail(e);
      };
      const finish = (): void => {
        if (settled) return;
        outLines?.end();
        errLines?.end();
        if (localError !== undefined) {
          fail(localError);
          return;
        }
        if (!exit && this.closed) {
          fail(this.lostError());
          return;
        }
        cleanup();
        const result: ExecResult = { code: exit?.code ?? null, stdout: stdout.toString(), stderr: stderr.toString() };
        if (exit?.signal) result.signal = exit.signal;
        if (stdout.dropped > 0 || stderr.dropped > 0) result.truncated = true;
        resolve(result);
      };

      this.running.add(fail);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          fail(new DeployError(`ssh: the command did not finish within ${seconds(opts.timeoutMs!)}`, { host: this.label }));
        }, opts.timeoutMs);
      }

      try {
        this.conn.exec(command, (err, ch) => {
          if (err) {
            const hint = /channel open failure/i.test(err.message)
              ? ' (the server refused another session on this connection; too many concurrent commands for its MaxSessions?)'
              : '';
            fail(new DeployError(`ssh: cannot start a command: ${err.message}${hint}`, { host: this.label, cause: err }));
            return;
          }
          channel = ch;
          if (settled) {
            closeChannel();
            return;
          }
          ch.on('data', (chunk: Buffer) => {
            stdout.push(chunk);
            outLines?.push(chunk);
          });
          ch.stderr.on('data', (chunk: Buffer) => {
            stderr.push(chunk);
            errLines?.push(chunk);
          });
          ch.on('exit', (code: number | null, signal?: string) => {
            remoteDone = true;
            exit = { code: typeof code === 'number' ? code : null, signal: signal ?? undefined };
          });
          ch.on('error', (e: Error) => onLocalError(e));
          ch.on('close', () => {
            remoteDone = true;
            // Let a pending stdin error (emitted in the same tick) be recorded first.
            setImmediate(finish);
          });

          const input = opts.stdin;
          if (input === undefined) {
            ch.end();
          } else if (typeof input === 'string' || Buffer.isBuffer(input)) {
            ch.end(input);
          } else {
            input.on('error', onLocalError);
            pipeline(input, ch, (e) => {
              if (e) onLocalError(e);
            });
          }
        });
      } catch (err) {
        fail(new DeployError(`ssh: cannot start a command: ${(err as Error).message}`, { host: this.label, cause: err }));
      }
    });
  }

  /** Closes the connection (running commands are rejected). Resolves once it is closed, or after 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    try {
      this.conn.end();
    } catch {
      // already gone
    }
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.closedPromise, new Promise<void>((r) => (t = setTimeout(r, 2000)))]);
    clearTimeout(t);
    if (!this.closed) {
      this.conn.destroy();
      this.closed = true;
    }
  }
}
