import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { fingerprint, keysForHost, lookupHost, parseKnownHosts } from '../../../src/ssh/known-hosts.js';

let dir: string;
/** Public key lines ("type base64") of freshly generated keys. */
const pub: Record<'ed' | 'ed2' | 'ecdsa' | 'rsa', { type: string; b64: string; line: string }> = {} as never;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kh-test-'));
  const gen = (name: keyof typeof pub, args: string[]): void => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'test', '-f', file]);
    const [type = '', b64 = ''] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
    pub[name] = { type, b64, line: `${type} ${b64}` };
  };
  gen('ed', ['-t', 'ed25519']);
  gen('ed2', ['-t', 'ed25519']);
  gen('ecdsa', ['-t', 'ecdsa']);
  gen('rsa', ['-t', 'rsa', '-b', '2048']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64s = (keys: { keyBase64: string }[]): string[] => keys.map((k) => k.keyBase64);

function hashed(name: string): string {
  const salt = randomBytes(20);
  const hmac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hmac.toString('base64')}`;
}

describe('parseKnownHosts + keysForHost', () => {
  test('plain host, comma list, comments and blank lines', () => {
    const kh = parseKnownHosts(
      `# a comment\n\nweb1,10.0.0.5 ${pub.ed.line} comment text\n   \n  # indented comment\nweb2 ${pub.rsa.line}\n`,
    );
    expect(kh.entries).toHaveLength(2);
    expect(keysForHost(kh, 'web1', 22)).toEqual([{ keyType: 'ssh-ed25519', keyBase64: pub.ed.b64 }]);
    expect(b64s(keysForHost(kh, '10.0.0.5', 22))).toEqual([pub.ed.b64]);
    expect(b64s(keysForHost(kh, 'WEB1', 22))).toEqual([pub.ed.b64]);
    expect(keysForHost(kh, 'web2', 22)).toEqual([{ keyType: 'ssh-rsa', keyBase64: pub.rsa.b64 }]);
    expect(keysForHost(kh, 'web3', 22)).toEqual([]);
    // A plain entry is for port 22 only.
    expect(keysForHost(kh, 'web1', 2222)).toEqual([]);
  });

  test('several keys for one host, CRLF line ends', () => {
    const kh = parseKnownHosts(`web1 ${pub.ed.line}\r\nweb1 ${pub.ecdsa.line}\r\nweb1 ${pub.rsa.line}\r\n`);
    expect(keysForHost(kh, 'web1', 22).map((k) => k.keyType)).toEqual(['ssh-ed25519', pub.ecdsa.type, 'ssh-rsa']);
  });

  test('[host]:port form for non-22 ports', () => {
    const kh = parseKnownHosts(`[127.0.0.1]:2222 ${pub.ed.line}\n[::1]:2222 ${pub.ecdsa.line}\n::1 ${pub.rsa.line}\n[web1]:22 ${pub.ed2.line}\n`);
    expect(b64s(keysForHost(kh, '127.0.0.1', 2222))).toEqual([pub.ed.b64]);
    expect(keysForHost(kh, '127.0.0.1', 22)).toEqual([]);
    expect(keysForHost(kh, '127.0.0.1', 2223)).toEqual([]);
    expect(b64s(keysForHost(kh, '::1', 2222))).toEqual([pub.ecdsa.b64]);
    expect(b64s(keysForHost(kh, '::1', 22))).toEqual([pub.rsa.b64]);
    // An explicit [host]:22 is accepted for port 22.
    expect(b64s(keysForHost(kh, 'web1', 22))).toEqual([pub.ed2.b64]);
  });

  test('hashed entries (HMAC-SHA1 of "host" or "[host]:port")', () => {
    const kh = parseKnownHosts(`${hashed('web1.example.com')} ${pub.ed.line}\n${hashed('[10.1.2.3]:2222')} ${pub.rsa.line}\n`);
    expect(kh.entries[0]?.hashed).toBeDefined();
    expect(b64s(keysForHost(kh, 'web1.example.com', 22))).toEqual([pub.ed.b64]);
    expect(b64s(keysForHost(kh, 'WEB1.example.com', 22))).toEqual([pub.ed.b64]);
    expect(keysForHost(kh, 'web1.example.com', 2222)).toEqual([]);
    expect(keysForHost(kh, 'web2.example.com', 22)).toEqual([]);
    expect(b64s(keysForHost(kh, '10.1.2.3', 2222))).toEqual([pub.rsa.b64]);
    expect(keysForHost(kh, '10.1.2.3', 22)).toEqual([]);
  });

  test('hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'known_hosts_h');
    writeFileSync(file, `web9.example.org ${pub.ed.line}\n[web9.example.org]:2200 ${pub.ed2.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('web9');
    const kh = parseKnownHosts(text);
    expect(b64s(keysForHost(kh, 'web9.example.org', 22))).toEqual([pub.ed.b64]);
    expect(b64s(keysForHost(kh, 'web9.example.org', 2200))).toEqual([pub.ed2.b64]);
  });

  test('wildcards * and ?', () => {
    const kh = parseKnownHosts(`*.example.com ${pub.ed.line}\nweb? ${pub.rsa.line}\n[10.0.0.*]:2222 ${pub.ecdsa.line}\n`);
    expect(b64s(keysForHost(kh, 'a.example.com', 22))).toEqual([pub.ed.b64]);
    expect(b64s(keysForHost(kh, 'a.b.example.com', 22))).toEqual([pub.ed.b64]);
    expect(keysForHost(kh, 'example.com', 22)).toEqual([]);
    expect(keysForHost(kh, 'a.example.com.evil.net', 22)).toEqual([]);
    expect(b64s(keysForHost(kh, 'web1', 22))).toEqual([pub.rsa.b64]);
    expect(keysForHost(kh, 'web10', 22)).toEqual([]);
    expect(b64s(keysForHost(kh, '10.0.0.7', 2222))).toEqual([pub.ecdsa.b64]);
    expect(keysForHost(kh, '10.0.0.7', 22)).toEqual([]);
  });

  test('negation vetoes a line', () => {
    const kh = parseKnownHosts(`*.example.com,!bad.example.com ${pub.ed.line}\n`);
    expect(b64s(keysForHost(kh, 'good.example.com', 22))).toEqual([pub.ed.b64]);
    expect(keysForHost(kh, 'bad.example.com', 22)).toEqual([]);
    // A negation alone matches nothing.
    expect(keysForHost(parseKnownHosts(`!web1 ${pub.ed.line}\n`), 'web2', 22)).toEqual([]);
  });

  test('@revoked refuses a key even when it is also listed', () => {
    const kh = parseKnownHosts(`web1 ${pub.ed.line}\nweb1 ${pub.rsa.line}\n@revoked * ${pub.ed.line}\n`);
    expect(keysForHost(kh, 'web1', 22)).toEqual([{ keyType: 'ssh-rsa', keyBase64: pub.rsa.b64 }]);
    const only = parseKnownHosts(`web1 ${pub.ed.line}\n@revoked web2 ${pub.ed.line}\n`);
    // A key revoked anywhere is never trusted.
    expect(keysForHost(only, 'web1', 22)).toEqual([]);
  });

  test('@cert-authority lines are ignored but remembered', () => {
    const kh = parseKnownHosts(`@cert-authority *.example.com ${pub.ed.line}\n`);
    expect(keysForHost(kh, 'web1.example.com', 22)).toEqual([]);
    expect(lookupHost(kh, 'web1.example.com', 22)).toMatchObject({ certAuthority: true, certAuthorityOnly: true });
    expect(lookupHost(kh, 'other.org', 22)).toMatchObject({ certAuthority: false, certAuthorityOnly: false });
  });

  test('empty text gives no entries', () => {
    expect(parseKnownHosts('')).toEqual({ entries: [] });
    expect(parseKnownHosts('# only a comment\n\n')).toEqual({ entries: [] });
  });
});

describe('parseKnownHosts: malformed lines', () => {
  const expectLine = (text: string, line: number, why: string): void => {
    let caught: unknown;
    try {
      parseKnownHosts(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).input).toBe('known-hosts');
    expect((caught as InputError).message).toBe(
      `known-hosts: line ${line} is not a known_hosts entry (${why}); expected "host[,host…] key-type base64-key", as printed by ssh-keyscan`,
    );
  };

  test.each([
    ['too few fields', () => `web1 ${pub.ed.line}\n# c\nweb2 ssh-ed25519\n`, 3, 'it has fewer than three fields'],
    ['not base64', () => `web1 ssh-ed25519 not*base64!\n`, 1, 'the key is not base64'],
    ['base64 that is no key', () => `web1 ssh-ed25519 aGVsbG8gd29ybGQh\n`, 1, 'the key is not an SSH public key'],
    ['type does not match the key', () => `web1 ssh-rsa ${pub.ed.b64}\n`, 1, 'the key is of type ssh-ed25519, not ssh-rsa'],
    ['unknown marker', () => `@trusted web1 ${pub.ed.line}\n`, 1, 'unknown marker "@trusted"; only @revoked and @cert-authority exist'],
    ['bad hash form', () => `|2|abc|def ${pub.ed.line}\n`, 1, 'the hashed host is not of the form |1|salt|hash'],
    ['short hash', () => `|1|YWJj|ZGVm ${pub.ed.line}\n`, 1, 'the hashed host has a salt or hash of the wrong length'],
    ['empty pattern', () => `web1,,web2 ${pub.ed.line}\n`, 1, 'the host list has an empty pattern'],
    ['shell characters in a pattern', () => `web1,web2$(id) ${pub.ed.line}\n`, 1, 'the host pattern "web2$(id)" may contain only letters, digits and . - _ : % [ ] * ?'],
    ['a path in a pattern', () => `[web1]:22/../x ${pub.ed.line}\n`, 1, 'the host pattern "[web1]:22/../x" may contain only letters, digits and . - _ : % [ ] * ?'],
    ['a bare public key line', () => `\n\n${pub.ed.line}\n`, 3, 'it has fewer than three fields'],
  ])('%s', (_name, text, line, why) => expectLine(text(), line, why));
});

describe('fingerprint', () => {
  test.each(['ed', 'ecdsa', 'rsa'] as const)('matches ssh-keygen -lf for %s', (name) => {
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, `${name}.pub`)], { encoding: 'utf8' });
    const expected = out.split(' ')[1];
    expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprint(Buffer.from(pub[name].b64, 'base64'))).toBe(expected);
  });
});
