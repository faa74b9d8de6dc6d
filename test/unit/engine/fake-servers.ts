/**
 * Scripted stand-ins for servers, for engine tests without SSH: each FakeServer answers the remote
 * commands the engine sends (parsed back from the command line the engine built) with the protocol
 * lines the remote program prints, and keeps a tiny model of the server (live release, lock,
 * releases) so a test can assert where each host ended up. Failures are injected per command.
 */
import type { Readable } from 'node:stream';
import type { ArgKey, ResultKey } from '../../../src/remote/contract.js';
import type { ExecOptions, ExecResult, RemoteSession } from '../../../src/ssh/session.js';
import { markFor } from '../../../src/remote/protocol.js';

/** Splits a command line built by remoteCommand() back into words (bare or single-quoted). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line.slice(0, 80)}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && line[i + 1] === "'") {
      cur += "'";
      i++;
      inWord = true;
    } else if (c === ' ') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export interface RemoteCall {
  command: string;
  args: Map<string, string[]>;
  arg(key: ArgKey): string | undefined;
}

/** One protocol line: a `result` names a key the contract declares (src/remote/contract.ts). */
type Say = {
  (kind: 'result', key: ResultKey, value: string | number): void;
  (kind: 'phase' | 'fail' | 'release', ...words: (string | number)[]): void;
};

export function parseRemoteCall(line: string): RemoteCall {
  const words = shellWords(line);
  const at = words.indexOf('php-deploy');
  if (words[0] !== 'bash' || words[1] !== '-c' || at !== 3) throw new Error(`not a php-deploy command: ${line.slice(0, 80)}`);
  const args = new Map<string, string[]>();
  for (const w of words.slice(at + 2)) {
    const eq = w.indexOf('=');
    const k = w.slice(0, eq);
    args.set(k, [...(args.get(k) ?? []), w.slice(eq + 1)]);
  }
  return { command: words[at + 1]!, args, arg: (k) => args.get(k)?.at(-1) };
}

/** A failure the server reports for one command: its `fail` line, and what it did about it. */
export interface Injected {
  phase: string;
  message: string;
  /** The remote switched back to the previous release itself (post-switch check failed). */
  switchedBack?: boolean;
  /** The remote died without its exit path (SIGKILL): no exit_* facts, nothing undone, the lock kept. */
  killed?: boolean;
}

export class FakeServer implements RemoteSession {
  readonly calls: RemoteCall[] = [];
  connected = true;
  live: string;
  lock?: string;
  releases: string[];
  /** Per command name: fail it (once, or always with `sticky`). */
  readonly failures = new Map<string, Injected & { sticky?: boolean }>();
  /** The deploy log (.php-deploy/log.jsonl), one JSON line per event; `records` reads it. */
  readonly log: string[] = [];
  /** Called when a command starts (e.g. to abort the engine's signal at a chosen moment). */
  onCommand?: (call: RemoteCall) => void | Promise<void>;
  private staged = new Map<string, string>();

  constructor(
    readonly label: string,
    opts: { live?: string; releases?: string[] } = {},
  ) {
    this.live = opts.live ?? '';
    this.releases = opts.releases ?? (this.live ? [this.live] : []);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    this.connected = false;
  }

  commands(): string[] {
    return this.calls.map((c) => c.command);
  }

  /** The commands that had been sent when the lease hold's channel was closed (undefined: still open). */
  holdEndedAfter?: string[];

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const call = parseRemoteCall(command);
    this.calls.push(call);
    await this.onCommand?.(call);
    if (call.command === 'hold') {
      // Renews the lease until the engine closes the channel (stdin EOF), like the remote program.
      if (opts.stdin && typeof opts.stdin !== 'string' && !Buffer.isBuffer(opts.stdin)) await drain(opts.stdin).catch(() => undefined);
      this.holdEndedAfter = this.commands();
      return { code: 0, stdout: '', stderr: '' };
    }
    // Like SshSession.exec: an abort rejects with the signal's reason, whatever the stdin stream says.
    try {
      if (opts.stdin && typeof opts.stdin !== 'string' && !Buffer.isBuffer(opts.stdin)) await drain(opts.stdin);
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    }
    if (opts.signal?.aborted) throw opts.signal.reason;
    const out: string[] = [];
    const code = this.answer(call, out);
    for (const line of out) opts.onStdoutLine?.(line);
    return { code, stdout: out.join('\n'), stderr: '' };
  }

  private answer(call: RemoteCall, out: string[]): number {
    // Protocol lines carry the command's nonce, as the remote program prints them.
    const mark = markFor(call.args.get('nonce')?.[0]);
    const say: Say = (...words: (string | number)[]): void => void out.push(`${mark}${words.join(' ')}`);
    const id = call.arg('id') ?? '';
    const injected = this.failures.get(call.command);
    if (injected) {
      if (!injected.sticky) this.failures.delete(call.command);
      say('phase', injected.phase);
      // What the remote program's exit path does on a failure: unlock, remove or switch back, and say so.
      if (['activate', 'prepare', 'switch', 'finish', 'upload'].includes(call.command) && !injected.killed) {
        const before = this.previous.get(id) ?? this.live;
        if (injected.switchedBack) say('result', 'rolled_back', 'true');
        // A failed finish is a failed after-switch command: the checked release stays live.
        const completed = call.command === 'finish' && !injected.switchedBack;
        if (completed) this.complete(id);
        else this.undo(id);
        this.lock = undefined;
        if (injected.switchedBack) say('result', 'exit_switched_back', before);
        say('result', 'exit_release', completed ? 'ok' : injected.switchedBack ? 'kept-failed' : 'removed');
        say('result', 'exit_lock', 'released');
      }
      say('fail', injected.phase, injected.message);
      return 1;
    }
    switch (call.command) {
      case 'preflight':
      case 'inspect':
        say('result', 'live', this.live);
        return 0;
      case 'begin':
        if (this.lock) {
          say('fail', 'lock', `locked by ${this.lock}`);
          return 1;
        }
        this.lock = call.arg('token');
        say('result', 'live', this.live);
        say('result', 'exit_lock', 'held');
        return 0;
      case 'upload':
        this.staged.set(id, 'uploaded');
        say('result', 'release_path', `${call.arg('path')}/releases/${id}`);
        say('result', 'exit_release', 'ready');
        say('result', 'exit_lock', 'held');
        return 0;
      case 'activate':
        this.switchTo(id);
        say('result', 'switch_ms', 1);
        this.complete(id);
        say('result', 'exit_release', 'ok');
        say('result', 'exit_lock', 'released');
        return 0;
      case 'prepare':
        this.staged.set(id, 'prepared');
        say('result', 'exit_release', 'ready');
        say('result', 'exit_lock', 'held');
        return 0;
      case 'switch':
        this.switchTo(id);
        say('result', 'switch_at_ms', Date.now());
        say('result', 'switch_ms', 1);
        say('result', 'exit_release', 'ready');
        say('result', 'exit_lock', 'held');
        return 0;
      case 'finish':
        this.complete(id);
        say('result', 'exit_release', 'ok');
        say('result', 'exit_lock', 'released');
        return 0;
      case 'abort': {
        const wasLive = this.live === id;
        this.undo(id);
        if (wasLive) say('result', 'rolled_back', 'true');
        this.lock = undefined;
        return 0;
      }
      case 'rollback': {
        const target = call.arg('target') || this.releases.filter((r) => r < this.live).at(-1) || '';
        const previous = this.live;
        this.live = target;
        say('result', 'target', target);
        say('result', 'previous', previous);
        say('result', 'switch_ms', 1);
        return 0;
      }
      case 'cancel':
      case 'note':
        return 0;
      case 'records': {
        const needle = `,"event":${JSON.stringify(call.arg('event'))},"id":${JSON.stringify(id)},"result":"ok"`;
        for (const line of this.log) if (line.includes(needle)) say('result', 'record', line);
        return 0;
      }
      case 'list':
        say('result', 'live', this.live);
        for (const r of this.releases) say('release', r, r === this.live ? 'live' : 'ok', '{}');
        return 0;
      default:
        say('fail', call.command, `the fake server does not know ${call.command}`);
        return 1;
    }
  }

  private previous = new Map<string, string>();

  private switchTo(id: string): void {
    this.previous.set(id, this.live);
    this.live = id;
  }

  private complete(id: string): void {
    this.staged.delete(id);
    if (!this.releases.includes(id)) this.releases.push(id);
    this.lock = undefined;
  }

  /** Never leaves `current` on the new release: back to what was live before it, release removed. */
  private undo(id: string): void {
    if (this.live === id) this.live = this.previous.get(id) ?? '';
    this.staged.delete(id);
    this.releases = this.releases.filter((r) => r !== id);
  }
}

async function drain(stream: Readable): Promise<void> {
  for await (const chunk of stream) void chunk;
}
