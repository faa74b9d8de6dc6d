/**
 * Every workflow (the examples users copy and the repository's own) grants its token exactly what it
 * needs: with a restricted default token a missing permission fails, an extra one is a risk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** The workflow-level `permissions:` as a map (`{}` for `permissions: {}`), or undefined; job-level ones too. */
function permissions(text: string): { top?: Record<string, string>; jobLevel: number } {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^permissions:/.test(l));
  const jobLevel = lines.filter((l) => /^\s+permissions:/.test(l)).length;
  if (at < 0) return { jobLevel };
  const inline = /^permissions:\s*(.*)$/.exec(lines[at]!)![1]!.trim();
  if (inline === '{}') return { top: {}, jobLevel };
  expect(inline).toBe('');
  const top: Record<string, string> = {};
  for (const l of lines.slice(at + 1)) {
    const m = /^ {2}([a-z-]+):\s*([a-z]+)\s*$/.exec(l);
    if (!m) break;
    top[m[1]!] = m[2]!;
  }
  return { top, jobLevel };
}

describe('workflow permissions', () => {
  test.each([
    ['examples/workflows/deploy.yml', { contents: 'read' }],
    ['examples/workflows/rollback.yml', { actions: 'read' }],
    ['examples/workflows/list.yml', {}],
    ['.github/workflows/ci.yml', { contents: 'read' }],
    ['.github/workflows/check-dist.yml', { contents: 'read' }],
  ])('%s grants %j and nothing more', (file, want) => {
    const p = permissions(readFileSync(join(ROOT, file), 'utf8'));
    expect(p.top).toEqual(want);
    expect(p.jobLevel).toBe(0);
  });

  test('the README shows the example workflows with the same permissions', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/name: Deploy\n[\s\S]*?permissions:\n {2}contents: read\n[\s\S]*?jobs:/);
    expect(readme).toMatch(/name: Rollback\n[\s\S]*?permissions:\n {2}actions: read( +#[^\n]*)?\n[\s\S]*?jobs:/);
  });
});
