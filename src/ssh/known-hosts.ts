import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InputError } from '../errors.js';

/** One host key line of a known_hosts file. */
export interface KnownHostEntry {
  /** 1-based line number in the text. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (may hold `*`, `?`, `!`), or one hashed host. */
  patterns: { negated: boolean; pattern: string }[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyBase64: string;
  keyBlob: Buffer;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
}

export interface HostKey {
  keyType: string;
  keyBase64: string;
}

/** What known_hosts says about one host and port. */
export interface HostLookup {
  /** Trusted (not revoked) keys for the host. */
  keys: HostKey[];
  /** True when only `@cert-authority` lines (unsupported) name the host. */
  certAuthorityOnly: boolean;
  /** True when some `@cert-authority` line names the host. */
  certAuthority: boolean;
}

const KEY_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9@._+-]*$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
/** A plain host pattern: host name, IP address, [host]:port, IPv6 (with %zone), wildcards. */
const HOST_PATTERN_RE = /^[A-Za-z0-9._:%[\]*?-]+$/;

function lineError(n: number, why: string): InputError {
  return new InputError(
    'known-hosts',
    `line ${n} is not a known_hosts entry (${why}); expected "host[,host…] key-type base64-key", as printed by ssh-keyscan`,
  );
}

/** Reads the first SSH string (the key type) out of a public key blob. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return KEY_TYPE_RE.test(type) ? type : undefined;
}

/** Parses OpenSSH known_hosts text. Throws InputError('known-hosts', …) naming the first bad line. */
export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);

    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else throw lineError(n, `unknown marker "${m}"; only @revoked and @cert-authority exist`);
    }
    const [hostField, keyType, keyBase64] = fields;
    if (hostField === undefined || keyType === undefined || keyBase64 === undefined) {
      throw lineError(n, 'it has fewer than three fields');
    }
    if (!KEY_TYPE_RE.test(keyType)) throw lineError(n, 'the key type is not valid');
    if (!BASE64_RE.test(keyBase64) || keyBase64.length % 4 !== 0) throw lineError(n, 'the key is not base64');
    const keyBlob = Buffer.from(keyBase64, 'base64');
    const inner = blobKeyType(keyBlob);
    if (inner === undefined) throw lineError(n, 'the key is not an SSH public key');
    if (inner !== keyType) throw lineError(n, `the key is of type ${inner}, not ${keyType}`);

    const entry: KnownHostEntry = { line: n, marker, patterns: [], keyType, keyBase64: keyBlob.toString('base64'), keyBlob };
    if (hostField.startsWith('|')) {
      const parts = hostField.split('|');
      // ['', '1', salt, hash]
      if (parts.length !== 4 || parts[1] !== '1') throw lineError(n, 'the hashed host is not of the form |1|salt|hash');
      const [, , salt64 = '', hash64 = ''] = parts;
      if (!BASE64_RE.test(salt64) || !BASE64_RE.test(hash64)) throw lineError(n, 'the hashed host is not base64');
      const salt = Buffer.from(salt64, 'base64');
      const hash = Buffer.from(hash64, 'base64');
      if (salt.length !== 20 || hash.length !== 20) throw lineError(n, 'the hashed host has a salt or hash of the wrong length');
      entry.hashed = { salt, hash };
    } else {
      for (const p of hostField.split(',')) {
        if (p === '' || p === '!') throw lineError(n, 'the host list has an empty pattern');
        const negated = p.startsWith('!');
        if (!HOST_PATTERN_RE.test(negated ? p.slice(1) : p)) {
          throw lineError(n, `the host pattern "${p}" may contain only letters, digits and . - _ : % [ ] * ?`);
        }
        entry.patterns.push({ negated, pattern: (negated ? p.slice(1) : p).toLowerCase() });
      }
    }
    entries.push(entry);
  }
  return { entries };
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` otherwise. Lower-cased. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function wildcardMatch(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    's',
  );
  return re.test(name);
}

/** Whether an entry names host:port (OpenSSH semantics: a matching `!pattern` vetoes the line). */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const names = [knownHostsName(host, port)];
  // ssh-keyscan prints plain "host" for port 22; accept an explicit "[host]:22" too.
  if (port === 22) names.push(`[${host.toLowerCase()}]:22`);
  if (entry.hashed) {
    const { salt, hash } = entry.hashed;
    return names.some((name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), hash));
  }
  let positive = false;
  for (const name of names) {
    for (const { negated, pattern } of entry.patterns) {
      if (!wildcardMatch(pattern, name)) continue;
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** True if a `@revoked` line lists this key blob (for any host: a revoked key is never accepted). */
export function isRevoked(parsed: ParsedKnownHosts, keyBlob: Buffer): boolean {
  const b64 = keyBlob.toString('base64');
  return parsed.entries.some((e) => e.marker === 'revoked' && e.keyBase64 === b64);
}

/** Everything known_hosts says about host:port. */
export function lookupHost(parsed: ParsedKnownHosts, host: string, port: number): HostLookup {
  const keys: HostKey[] = [];
  let certAuthority = false;
  for (const e of parsed.entries) {
    if (!entryMatches(e, host, port)) continue;
    if (e.marker === 'cert-authority') {
      certAuthority = true;
      continue;
    }
    if (e.marker === 'revoked') continue;
    if (isRevoked(parsed, e.keyBlob)) continue;
    if (!keys.some((k) => k.keyBase64 === e.keyBase64)) keys.push({ keyType: e.keyType, keyBase64: e.keyBase64 });
  }
  return { keys, certAuthority, certAuthorityOnly: certAuthority && keys.length === 0 };
}

/** The trusted (listed, not revoked, not certificate-authority) keys for host:port. */
export function keysForHost(parsed: ParsedKnownHosts, host: string, port: number): HostKey[] {
  return lookupHost(parsed, host, port).keys;
}

/** OpenSSH fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}
