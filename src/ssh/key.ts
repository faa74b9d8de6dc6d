import { parseKey } from 'ssh2/lib/protocol/keyParser.js';
import { InputError } from '../errors.js';

export interface LoadedKey {
  /** The key text, normalised (LF line ends, trimmed, one trailing newline). */
  keyText: string;
  /** The key type, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  type: string;
}

const PUBLIC_KEY_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+)(-cert-v01@openssh\.com)?\s+[A-Za-z0-9+/=]{16,}/;

/** Puts key text pasted through CI secrets back into shape (CRLF, surrounding blanks, literal "\n"). */
function normalise(keyText: string): string {
  let t = keyText.replace(/\r\n?/g, '\n').trim();
  // A key squeezed onto one line with literal "\n" sequences (a common secret-pasting accident).
  if (!t.includes('\n') && t.includes('\\n') && t.startsWith('-----BEGIN ')) t = t.replace(/\\n/g, '\n');
  return t + '\n';
}

/**
 * Validates the ssh-key (and passphrase) before any connection. Throws InputError('ssh-key' or
 * 'ssh-key-passphrase', …); never puts key material into a message.
 */
export function loadPrivateKey(keyText: string, passphrase?: string): LoadedKey {
  if (keyText.trim() === '') {
    throw new InputError('ssh-key', 'empty; pass the private key text (e.g. secrets.DEPLOY_KEY)');
  }
  const text = normalise(keyText);
  const pass = passphrase === '' ? undefined : passphrase;

  if (PUBLIC_KEY_RE.test(text) || text.startsWith('---- BEGIN SSH2 PUBLIC KEY ----') || text.startsWith('-----BEGIN PUBLIC KEY-----')) {
    throw new InputError('ssh-key', 'this is a public key; pass the private key (the file without .pub, starting with "-----BEGIN")');
  }
  if (/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    throw new InputError(
      'ssh-key',
      'PKCS#8 keys ("BEGIN PRIVATE KEY") are not supported; convert it to OpenSSH format with "ssh-keygen -p -f <keyfile>"',
    );
  }

  const parsed = parseKey(text, pass);
  if (parsed instanceof Error) {
    const msg = parsed.message;
    if (/no passphrase given/i.test(msg)) {
      throw new InputError('ssh-key-passphrase', 'the ssh-key is encrypted; set ssh-key-passphrase');
    }
    if (/bad passphrase|decrypt|integrity check/i.test(msg) && pass !== undefined) {
      throw new InputError('ssh-key-passphrase', 'wrong passphrase for ssh-key');
    }
    if (!text.startsWith('-----BEGIN ') && !text.startsWith('PuTTY-User-Key-File-')) {
      throw new InputError('ssh-key', 'not a private key; pass the private key text, starting with "-----BEGIN OPENSSH PRIVATE KEY-----"');
    }
    // ssh2's own messages never contain key material.
    throw new InputError('ssh-key', `cannot read the private key (${msg.replace(/\s+/g, ' ')}); use an OpenSSH, PEM or PuTTY key`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined) throw new InputError('ssh-key', 'no key found in the text');
  if (!key.isPrivateKey() || key.getPrivatePEM() === null) {
    throw new InputError('ssh-key', 'this is a public key; pass the private key (the file without .pub, starting with "-----BEGIN")');
  }
  return { keyText: text, type: key.type };
}
