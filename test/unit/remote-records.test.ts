/**
 * The remote `records` command, run locally with bash exactly as sshd would: it returns the deploy
 * log's archive records of one release, as `note` wrote them, and nothing else; read-only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noteCommand, recordsCommand } from '../../src/remote/commands.js';
import { RemoteOutput } from '../../src/remote/protocol.js';
import { parseArchiveRecords } from '../../src/engine/restore.js';

function run(commandLine: string): { code: number; out: RemoteOutput; text: string } {
  const r = spawnSync('/bin/sh', ['-c', commandLine], { encoding: 'utf8' });
  const out = new RemoteOutput();
  for (const line of r.stdout.split('\n')) if (line) out.push(line);
  return { code: r.status ?? -1, out, text: r.stdout + r.stderr };
}

function deployPath(): string {
  const p = join(mkdtempSync(join(tmpdir(), 'pd-records-')), 'app');
  mkdirSync(join(p, '.php-deploy'), { recursive: true });
  return p;
}

const A = '20260105T101500Z-abc1234';
const B = '20260105T101500Z-abc1235';
const facts = { artifact_id: 1001, artifact: `php-deploy-${A}`, digest: `sha256:${'c'.repeat(64)}`, run_id: '4242' };

describe('remote records', () => {
  it("returns the note's line for that release and event only, byte for byte", () => {
    const path = deployPath();
    expect(run(noteCommand({ deployPath: path, deployId: A }, 'artifact', facts)).code).toBe(0);
    expect(run(noteCommand({ deployPath: path, deployId: B }, 'artifact', { ...facts, artifact_id: 1002 })).code).toBe(0);
    // Lines that merely mention the release or the event elsewhere do not count.
    const log = join(path, '.php-deploy/log.jsonl');
    writeFileSync(
      log,
      readFileSync(log, 'utf8') +
        JSON.stringify({ time: 't', event: 'deploy', id: A, result: 'ok', note: `"event":"artifact","id":"${A}"` }) +
        '\n' +
        JSON.stringify({ time: 't', event: 'artifact', id: A, result: 'failed' }) +
        '\n',
      { flag: 'w' },
    );
    const lines = readFileSync(log, 'utf8').trim().split('\n');

    const r = run(recordsCommand({ deployPath: path, deployId: A }, 'artifact'));
    expect(r.code, r.text).toBe(0);
    expect(r.out.all('record')).toEqual([lines[0]]);
    expect(parseArchiveRecords(r.out.all('record'), A)).toEqual([facts]);
    // Read-only: the log is as it was.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(lines);
  });

  it('no log, or no record: no lines, exit 0; a bad id or event is refused', () => {
    const path = deployPath();
    const none = run(recordsCommand({ deployPath: path, deployId: A }, 'artifact'));
    expect(none.code).toBe(0);
    expect(none.out.all('record')).toEqual([]);
    expect(run(recordsCommand({ deployPath: join(path, 'nothing-here'), deployId: A }, 'artifact')).code).toBe(0);

    const bad = run(recordsCommand({ deployPath: path, deployId: 'x/../y' }, 'artifact'));
    expect(bad.code).toBe(1);
    expect(bad.out.failure?.message).toMatch(/bad deploy id/);
    const badEvent = run(recordsCommand({ deployPath: path, deployId: A }, 'Artifact;rm'));
    expect(badEvent.code).toBe(1);
    expect(badEvent.out.failure?.message).toMatch(/bad event/);
  });
});
