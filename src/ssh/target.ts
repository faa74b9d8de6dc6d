import { isIPv4, isIPv6 } from 'node:net';
import { InputError } from '../errors.js';

/** One server to deploy to. */
export interface HostTarget {
  user: string;
  /** Host name or IP address; IPv6 without brackets. */
  host: string;
  port: number;
  /** `user@host:port` (IPv6 in brackets), host spelled as the user wrote it; used in messages. */
  label: string;
}

const FORM = 'write each server as host, user@host, user@host:port or user@[ipv6]:port';
const USER_RE = /^[a-z_][a-z0-9_.-]*$/i;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** Characters an entry may contain at all; anything else (spaces, quotes, `;`, `$`, …) is refused. */
const ENTRY_CHARS_RE = /^[A-Za-z0-9@._:[\]-]+$/;

/** Validates a user name (the `ssh-user` input or the part before `@`). Returns an error text or undefined. */
export function userProblem(user: string): string | undefined {
  if (user === '') return 'the user is empty';
  if (user.length > 32) return 'the user is longer than 32 characters';
  if (!USER_RE.test(user)) return `the user "${user}" may only contain letters, digits, "_", "." and "-" and must not start with a digit, "." or "-"`;
  return undefined;
}

/** True for a DNS host name made of letters, digits and hyphens (labels of 1–63, 253 in all). */
function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  if (!labels.every((l) => LABEL_RE.test(l))) return false;
  // An all-numeric dotted name is an IPv4 address or a mistake (e.g. 10.0.0.300), never a host name.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return true;
}

function describeChar(ch: string): string {
  if (ch === ' ') return 'a space (separate servers with commas or newlines)';
  if (ch === '\t') return 'a tab (separate servers with commas or newlines)';
  if (/\s/.test(ch)) return 'whitespace';
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (0x${code.toString(16).padStart(2, '0')})`;
  return `"${ch}"`;
}

/**
 * Parses the `hosts` input: entries separated by newlines and/or commas, each `host`, `user@host`,
 * `host:port`, `user@host:port`, `[ipv6]:port` or `user@[ipv6]:port`. Throws InputError('hosts', …).
 */
export function parseHosts(value: string, defaultUser?: string, input = 'hosts'): HostTarget[] {
  const fallbackUser = defaultUser?.trim() || undefined;
  if (fallbackUser !== undefined) {
    const problem = userProblem(fallbackUser);
    if (problem) throw new InputError('ssh-user', `${problem}`);
  }

  const entries = value
    .split(/[\r\n,]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    throw new InputError(input, `empty; ${FORM} (one per line or comma-separated)`);
  }

  const seen = new Map<string, string>();
  const targets: HostTarget[] = [];
  for (const entry of entries) {
    const target = parseEntry(entry, fallbackUser, input);
    const key = `${target.user}@${target.host.toLowerCase()}:${target.port}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      const same = previous === entry ? '' : ` (same server as "${previous}")`;
      throw new InputError(input, `"${entry}" is listed twice${same}; list each server once`);
    }
    seen.set(key, entry);
    targets.push(target);
  }
  return targets;
}

function parseEntry(entry: string, defaultUser: string | undefined, input: string): HostTarget {
  const bad = (why: string): InputError => new InputError(input, `bad entry "${entry}": ${why}; ${FORM}`);

  const badChar = [...entry].find((ch) => !ENTRY_CHARS_RE.test(ch));
  if (badChar !== undefined) {
    // Never echo control characters into a log line.
    const shown = /[\x00-\x1f\x7f]/.test(entry) ? entry.replace(/[\x00-\x1f\x7f]/g, '?') : entry;
    throw new InputError(input, `bad entry "${shown}": it contains ${describeChar(badChar)}; ${FORM}`);
  }

  let rest = entry;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (user.includes('@')) throw bad('more than one "@"');
    const problem = userProblem(user);
    if (problem) throw bad(problem);
  }

  let host: string;
  let portText: string | undefined;
  let bracketed = false;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) throw bad('"[" without a closing "]"');
    host = rest.slice(1, close);
    bracketed = true;
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw bad(`unexpected "${after}" after "]"`);
      portText = after.slice(1);
    }
    if (!isIPv6(host)) throw bad(`"${host}" is not an IPv6 address (brackets are only for IPv6)`);
  } else if (rest.includes('[') || rest.includes(']')) {
    throw bad('brackets must enclose an IPv6 address, as [2001:db8::1]:22');
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) {
      // A bare IPv6 address (no port); with a port it has to be bracketed.
      if (!isIPv6(rest)) throw bad(`"${rest}" is not a valid host; an IPv6 address with a port goes in brackets, as [2001:db8::1]:22`);
      host = rest;
    } else if (colons === 1) {
      const colon = rest.indexOf(':');
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    } else {
      host = rest;
    }
    if (host === '') throw bad('no host');
    if (!isIPv6(host) && !isIPv4(host) && !isHostName(host)) {
      throw bad(`"${host}" is not a valid host name or IP address`);
    }
  }

  let port = 22;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw bad(`port "${portText}" is not a number from 1 to 65535`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw bad(`port ${portText} is out of range (1-65535)`);
  }

  const finalUser = user ?? defaultUser;
  if (finalUser === undefined) {
    throw new InputError(input, `"${entry}" has no user: write it as deploy@${bracketed || isIPv6(host) ? `[${host}]` : host}${portText !== undefined ? `:${port}` : ''} or set ssh-user`);
  }

  const hostShown = isIPv6(host) ? `[${host}]` : host;
  return { user: finalUser, host, port, label: `${finalUser}@${hostShown}:${port}` };
}
