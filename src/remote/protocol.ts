/**
 * Reads what the remote script prints: `@@php-deploy:<nonce> …` lines are events for the engine, every
 * other line is log text for the user.
 *
 * The nonce is new for every remote command (the engine passes it as `nonce=…`) and the remote program
 * puts it in each of its protocol lines, so nothing a hook, the reload command or the app prints can
 * pass for one: a line with another marker (`@@php-deploy phase …`, a stale nonce) is plain log text.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { ResultKey } from './contract.js';

/** The marker without a nonce: what the remote program prints when it was given none. */
export const MARK = '@@php-deploy ';

/** The marker of one command's protocol lines. */
export function markFor(nonce?: string): string {
  return nonce ? `@@php-deploy:${nonce} ` : MARK;
}

/** A nonce for one remote command: 128 random bits, hex (safe as an unquoted word). */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export type RemoteEvent =
  | { kind: 'phase'; name: string }
  | { kind: 'result'; key: string; value: string }
  | { kind: 'fail'; phase: string; message: string }
  | { kind: 'release'; id: string; status: string; meta: Record<string, string> }
  | { kind: 'lock'; description: string }
  | { kind: 'check'; id: string; severity: string; message: string }
  | { kind: 'manifest-begin' }
  | { kind: 'manifest-end' }
  | { kind: 'manifest-gz-begin' }
  | { kind: 'log'; text: string };

export function parseLine(line: string, mark = MARK): RemoteEvent {
  if (!line.startsWith(mark)) return { kind: 'log', text: line };
  const rest = line.slice(mark.length);
  const [word = '', ...tail] = rest.split(' ');
  const after = tail.join(' ');
  switch (word) {
    case 'phase':
      return { kind: 'phase', name: after };
    case 'result': {
      const [key = '', ...v] = tail;
      return { kind: 'result', key, value: v.join(' ') };
    }
    case 'fail': {
      const [phase = '', ...m] = tail;
      return { kind: 'fail', phase, message: m.join(' ') };
    }
    case 'release': {
      const [id = '', status = '', ...m] = tail;
      let meta: Record<string, string> = {};
      try {
        meta = JSON.parse(m.join(' ') || '{}') as Record<string, string>;
      } catch {
        meta = {};
      }
      return { kind: 'release', id, status, meta };
    }
    case 'lock':
      return { kind: 'lock', description: after };
    case 'check': {
      const [id = '', severity = '', ...m] = tail;
      return { kind: 'check', id, severity, message: m.join(' ') };
    }
    case 'manifest-begin':
      return { kind: 'manifest-begin' };
    case 'manifest-end':
      return { kind: 'manifest-end' };
    case 'manifest-gz-begin':
      return { kind: 'manifest-gz-begin' };
    default:
      return { kind: 'log', text: line };
  }
}

/** Collects the events of one remote command; lines inside a manifest block form the manifest. */
export class RemoteOutput {
  readonly results = new Map<string, string[]>();
  readonly releases: Extract<RemoteEvent, { kind: 'release' }>[] = [];
  readonly phases: { name: string; at: number }[] = [];
  readonly checks: { id: string; severity: string; message: string }[] = [];
  failure?: { phase: string; message: string };
  lock?: string;
  manifest?: string;
  private manifestLines?: string[];
  private readonly mark: string;
  /** The block is gzip'd and base64-encoded (`manifest-gz-begin` … `manifest-end`). */
  private manifestGz = false;

  /** `nonce`: only lines carrying it are protocol (see markFor); without one, the bare marker. */
  constructor(
    private readonly onLog: (text: string) => void = () => {},
    private readonly onPhase: (name: string) => void = () => {},
    nonce?: string,
  ) {
    this.mark = markFor(nonce);
  }

  push(line: string): void {
    if (this.manifestLines) {
      if (line === `${this.mark}manifest-end`) {
        try {
          this.manifest = this.manifestGz
            ? gunzipSync(Buffer.from(this.manifestLines.join(''), 'base64')).toString('utf8')
            : this.manifestLines.join('\n') + '\n';
        } catch {
          // A damaged block: no manifest, so no delta (everything is sent).
          this.manifest = undefined;
        }
        this.manifestLines = undefined;
      } else {
        this.manifestLines.push(line);
      }
      return;
    }
    const ev = parseLine(line, this.mark);
    switch (ev.kind) {
      case 'phase':
        this.phases.push({ name: ev.name, at: Date.now() });
        this.onPhase(ev.name);
        break;
      case 'result':
        this.results.set(ev.key, [...(this.results.get(ev.key) ?? []), ev.value]);
        break;
      case 'fail':
        this.failure = { phase: ev.phase, message: ev.message };
        break;
      case 'release':
        this.releases.push(ev);
        break;
      case 'lock':
        this.lock = ev.description;
        break;
      case 'check':
        this.checks.push({ id: ev.id, severity: ev.severity, message: ev.message });
        break;
      case 'manifest-begin':
      case 'manifest-gz-begin':
        this.manifestLines = [];
        this.manifestGz = ev.kind === 'manifest-gz-begin';
        break;
      case 'manifest-end':
        break;
      case 'log':
        this.onLog(ev.text);
        break;
    }
  }

  /** The last value of a result (src/remote/contract.ts declares the keys). */
  result(key: ResultKey): string | undefined {
    return this.results.get(key)?.at(-1);
  }

  all(key: ResultKey): string[] {
    return this.results.get(key) ?? [];
  }
}

/**
 * What every state-changing remote command reports from its one exit path (modules/95-exit.sh),
 * whatever ended it (success, a failure, `set -e`, a signal): the exit_* results declared, with their
 * values, in contract.ts.
 */
export interface ExitFacts {
  lock?: 'held' | 'released' | 'lost' | 'none';
  release?: 'ok' | 'ready' | 'removed' | 'kept-failed' | 'none';
  renewer?: 'stopped' | 'none';
  switchedBack?: string;
}

/** The exit facts of a command's output; undefined when it reported none (it was killed, or is read-only). */
export function exitFacts(out: RemoteOutput): ExitFacts | undefined {
  const lock = out.result('exit_lock');
  const release = out.result('exit_release');
  const renewer = out.result('exit_renewer');
  const switchedBack = out.result('exit_switched_back');
  if (lock === undefined && release === undefined && renewer === undefined && switchedBack === undefined) return undefined;
  const facts: ExitFacts = {};
  if (lock !== undefined) facts.lock = lock as ExitFacts['lock'];
  if (release !== undefined) facts.release = release as ExitFacts['release'];
  if (renewer !== undefined) facts.renewer = renewer as ExitFacts['renewer'];
  if (switchedBack !== undefined) facts.switchedBack = switchedBack;
  return facts;
}
