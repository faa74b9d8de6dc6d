import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { loadPrivateKey } from '../../../src/ssh/key.js';

let dir: string;
const keys: Record<string, string> = {};
const PASS = 'correct horse battery';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'key-test-'));
  const gen = (name: string, args: string[], pass = ''): void => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', ...args, '-N', pass, '-C', 'test', '-f', file]);
    keys[name] = readFileSync(file, 'utf8');
    keys[`${name}.pub`] = readFileSync(`${file}.pub`, 'utf8');
  };
  gen('ed', ['-t', 'ed25519']);
  gen('ed_pass', ['-t', 'ed25519'], PASS);
  gen('rsa_pem', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
  gen('rsa_pem_pass', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], PASS);
  gen('ecdsa', ['-t', 'ecdsa']);
  gen('pkcs8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

/** No message may contain any piece of key material. */
function expectNoKeyMaterial(message: string, keyText: string): void {
  const body = keyText.split('\n').filter((l) => l && !l.startsWith('-----'));
  for (const line of body) {
    for (let i = 0; i + 12 <= line.length; i += 12) expect(message).not.toContain(line.slice(i, i + 12));
  }
}

describe('loadPrivateKey: accepted', () => {
  test('ed25519 without passphrase', () => {
    const k = loadPrivateKey(keys.ed!);
    expect(k.type).toBe('ssh-ed25519');
    expect(k.keyText).toBe(keys.ed);
  });
  test('ed25519 with the right passphrase', () => {
    expect(loadPrivateKey(keys.ed_pass!, PASS).type).toBe('ssh-ed25519');
  });
  test('RSA PEM, plain and encrypted', () => {
    expect(loadPrivateKey(keys.rsa_pem!).type).toBe('ssh-rsa');
    expect(loadPrivateKey(keys.rsa_pem_pass!, PASS).type).toBe('ssh-rsa');
  });
  test('ECDSA', () => {
    expect(loadPrivateKey(keys.ecdsa!).type).toMatch(/^ecdsa-sha2-nistp/);
  });
  test('a passphrase given for an unencrypted key is ignored', () => {
    expect(loadPrivateKey(keys.ed!, 'unused').type).toBe('ssh-ed25519');
  });
  test('CRLF line ends, surrounding blanks and a missing final newline are repaired', () => {
    const mangled = `\n  ${keys.ed!.trim().replace(/\n/g, '\r\n')}  \n\n`;
    expect(loadPrivateKey(mangled).keyText).toBe(keys.ed);
  });
  test('a key squeezed onto one line with literal \\n is repaired', () => {
    const oneLine = keys.ed!.trim().replace(/\n/g, '\\n');
    expect(loadPrivateKey(oneLine).keyText).toBe(keys.ed);
  });
});

describe('loadPrivateKey: refused', () => {
  test('empty', () => {
    for (const empty of ['', '  \n\t\n']) {
      const e = refusal(() => loadPrivateKey(empty));
      expect(e.input).toBe('ssh-key');
      expect(e.message).toBe('ssh-key: empty; pass the private key text (e.g. secrets.DEPLOY_KEY)');
    }
  });
  test('encrypted key without passphrase', () => {
    for (const name of ['ed_pass', 'rsa_pem_pass']) {
      for (const pass of [undefined, '']) {
        const e = refusal(() => loadPrivateKey(keys[name]!, pass));
        expect(e.input).toBe('ssh-key-passphrase');
        expect(e.message).toBe('ssh-key-passphrase: the ssh-key is encrypted; set ssh-key-passphrase');
      }
    }
  });
  test('wrong passphrase', () => {
    for (const name of ['ed_pass', 'rsa_pem_pass']) {
      const e = refusal(() => loadPrivateKey(keys[name]!, 'not the passphrase'));
      expect(e.input).toBe('ssh-key-passphrase');
      expect(e.message).toBe('ssh-key-passphrase: wrong passphrase for ssh-key');
    }
  });
  test('a public key instead of the private one', () => {
    for (const name of ['ed.pub', 'rsa_pem.pub', 'ecdsa.pub']) {
      const e = refusal(() => loadPrivateKey(keys[name]!));
      expect(e.input).toBe('ssh-key');
      expect(e.message).toBe(
        'ssh-key: this is a public key; pass the private key (the file without .pub, starting with "-----BEGIN")',
      );
      expectNoKeyMaterial(e.message, keys[name]!);
    }
  });
  test('not a key at all', () => {
    for (const garbage of ['hunter2', 'ghp_0123456789abcdefABCDEF0123456789abcd', 'a\nmulti-line\nsecret\n']) {
      const e = refusal(() => loadPrivateKey(garbage));
      expect(e.message).toBe(
        'ssh-key: not a private key; pass the private key text, starting with "-----BEGIN OPENSSH PRIVATE KEY-----"',
      );
      expect(e.message).not.toContain(garbage.trim().slice(0, 6));
    }
  });
  test('a truncated key names no key material', () => {
    const lines = keys.ed!.trim().split('\n');
    const truncated = [...lines.slice(0, 3), lines.at(-1)].join('\n');
    const e = refusal(() => loadPrivateKey(truncated));
    expect(e.input).toBe('ssh-key');
    expect(e.message).toMatch(/^ssh-key: cannot read the private key \(/);
    expectNoKeyMaterial(e.message, keys.ed!);
  });
  test('PKCS#8 says how to convert', () => {
    const e = refusal(() => loadPrivateKey(keys.pkcs8!));
    expect(e.message).toBe(
      'ssh-key: PKCS#8 keys ("BEGIN PRIVATE KEY") are not supported; convert it to OpenSSH format with "ssh-keygen -p -f <keyfile>"',
    );
  });
  test('no message ever contains key material', () => {
    for (const [name, pass] of [['ed_pass', 'Zq9-guess'], ['ed_pass', undefined], ['rsa_pem_pass', 'Zq9-guess']] as const) {
      const e = refusal(() => loadPrivateKey(keys[name]!, pass));
      expectNoKeyMaterial(e.message, keys[name]!);
      expect(e.message).not.toContain('Zq9-guess');
    }
  });
});
