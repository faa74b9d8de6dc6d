import { gunzipSync } from 'node:zlib';

/**
 * Reads what the remote script prints: `@@php-deploy …` lines are events for the engine, every other
 * line is log text for the user.
 */
import type { ResultKey } from './contract.js';

export const MARK = '@@php-deploy ';

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

export function parseLine(line: string): RemoteEvent {
  if (!line.startsWith(MARK)) return { kind: 'log', text: line };
  const rest = line.slice(MARK.length);
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
  /** The block is gzip'd and base64-encoded (`manifest-gz-begin` … `manifest-end`). */
  private manifestGz = false;

  constructor(
    private readonly onLog: (text: string) => void = () => {},
    private readonly onPhase: (name: string) => void = () => {},
  ) {}

  push(line: string): void {
    if (this.manifestLines) {
      if (line === `${MARK}manifest-end`) {
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
    const ev = parseLine(line);
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
