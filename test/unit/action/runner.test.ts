// The action's runner commands (src/action/runner.ts) write exactly what @actions/core writes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as runner from '../../../src/action/runner.js';

let dir: string;
let out: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-test-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...saved };
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs fn once with @actions/core and once with runner.ts; returns both stdouts. */
function both(fn: (api: typeof runner | typeof core) => void): [string, string] {
  fn(core);
  const a = out.join('');
  out = [];
  fn(runner);
  const b = out.join('');
  out = [];
  return [a, b];
}

describe('runner commands', () => {
  it('log commands and annotations are byte for byte those of @actions/core', () => {
    const msg = 'a%b\r\nc: d, e';
    for (const f of [
      (c: typeof runner | typeof core) => c.info(msg),
      (c: typeof runner | typeof core) => c.warning(msg, { title: 'php-deploy h:1 (upload), x' }),
      (c: typeof runner | typeof core) => c.error(msg, { title: 'T' }),
      (c: typeof runner | typeof core) => c.error(msg),
      (c: typeof runner | typeof core) => c.startGroup('upload'),
      (c: typeof runner | typeof core) => c.endGroup(),
      (c: typeof runner | typeof core) => c.setSecret('s3cr%t\nline'),
    ]) {
      const [a, b] = both(f);
      expect(b).toBe(a);
    }
  });

  it('outputs and state go to their files in the runner format', () => {
    const file = join(dir, 'out');
    writeFileSync(file, '');
    process.env.GITHUB_OUTPUT = file;
    process.env.GITHUB_STATE = file;
    runner.setOutput('deploy-id', 'line1\nline2');
    runner.saveState('cleanup', '{"a":1}');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^deploy-id<<(ghadelimiter_[0-9a-f-]{36})\nline1\nline2\n\1\ncleanup<<(ghadelimiter_[0-9a-f-]{36})\n\{"a":1\}\n\2\n$/);
  });

  it('inputs and state are read from the environment as @actions/core reads them', () => {
    process.env['INPUT_SSH-KEY'] = '  key\n';
    process.env.STATE_cleanup = 'x';
    expect(runner.getInput('ssh-key')).toBe(core.getInput('ssh-key'));
    expect(runner.getInput('ssh-key', { trimWhitespace: false })).toBe(core.getInput('ssh-key', { trimWhitespace: false }));
    expect(runner.getState('cleanup')).toBe('x');
  });

  it('the summary is appended to GITHUB_STEP_SUMMARY, and is an error without it', () => {
    const file = join(dir, 'summary');
    writeFileSync(file, 'before\n');
    process.env.GITHUB_STEP_SUMMARY = file;
    runner.writeSummary('### ok\n');
    expect(readFileSync(file, 'utf8')).toBe('before\n### ok\n');
    delete process.env.GITHUB_STEP_SUMMARY;
    expect(() => runner.writeSummary('x')).toThrow(/GITHUB_STEP_SUMMARY/);
  });
});
