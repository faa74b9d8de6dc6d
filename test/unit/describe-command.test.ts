import { describe, expect, it } from 'vitest';
import { describeCommand } from '../../src/engine/hosts.js';
import { remoteCommand } from '../../src/remote/commands.js';

describe('describeCommand (the debug log line of a remote command)', () => {
  it('replaces the remote script by its size and keeps every argument as sent', () => {
    const script = "set -euo pipefail\necho 'it''s' \"$1\"\n";
    const cmd = remoteCommand('unlock', [['path', '/var/www/app'], ['context', "it's a $(test)"]], script);
    expect(describeCommand(cmd)).toBe(
      `bash -c <remote script, ${(Buffer.byteLength(script) / 1024).toFixed(1)} KiB> php-deploy unlock path=/var/www/app 'context=it'\\''s a $(test)'`,
    );
  });
  it('leaves any other command alone', () => {
    expect(describeCommand('true')).toBe('true');
    expect(describeCommand("bash -c 'unterminated")).toBe("bash -c 'unterminated");
  });
});
