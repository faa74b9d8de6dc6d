/**
 * Restoring a pruned release: which kept archive it asks for (read from every host's deploy log,
 * refused when they disagree or none has one), and — against scripted servers — that nothing reaches
 * a server unless the record is agreed and the archive unpacks safely.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { utils } from 'ssh2';
import { afterAll, describe, expect, test } from 'vitest';
import { parseSettings } from '../../../src/config/settings.js';
import { runRollback } from '../../../src/engine/manage.js';
import { agreeOnRecord, parseArchiveRecords } from '../../../src/engine/restore.js';
import type { ArchiveFacts, ArtifactStore } from '../../../src/engine/types.js';
import { DeployError } from '../../../src/errors.js';
import { MANIFEST_NAME } from '../../../src/pack/manifest.js';
import { MemoryReporter } from '../../../src/report/reporter.js';
import { createReleaseArchive } from '../../../src/artifact/archive.js';
import { cleanupTemp, manifestOf, tgz, trackTemp } from '../../artifact/helpers.js';
import { FakeServer } from './fake-servers.js';

const ID = '20260105T101500Z-abc1234';
const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
/** A deploy-log line as the remote `note` command writes it. */
const note = (facts: Record<string, string | number>, over: Record<string, unknown> = {}): string =>
  JSON.stringify({ time: '2026-01-05T10:16:00Z', event: 'artifact', id: ID, result: 'ok', live: ID, ...facts, ...over });
const facts1 = { artifact_id: 11, artifact: `php-deploy-${ID}`, digest: D1, run_id: '4242' };
const facts2 = { artifact_id: 12, artifact: `php-deploy-${ID}`, digest: D2, run_id: '4243' };

describe('parseArchiveRecords', () => {
  test("takes this release's artifact lines only, without the log's own fields; merges repeats", () => {
    const lines = [
      note(facts1),
      note(facts1, { time: '2026-01-05T10:17:00Z', live: 'other' }), // the same facts noted again
      note(facts2, { id: '20260105T090000Z-0000000' }), // another release
      note(facts2, { event: 'deploy' }), // another event
      note(facts2, { result: 'failed' }),
      'not json',
      '[1,2]',
      JSON.stringify({ ...JSON.parse(note(facts1)), nested: { x: 1 } }), // non-scalar facts are dropped
    ];
    expect(parseArchiveRecords(lines, ID)).toEqual([facts1]);
    expect(parseArchiveRecords([], ID)).toEqual([]);
  });
});

describe('agreeOnRecord', () => {
  test('all hosts record the same archive (or some none): that one', () => {
    expect(agreeOnRecord([{ host: 'web1', records: [facts1] }], ID)).toEqual({ record: facts1, missingOn: [] });
    expect(
      agreeOnRecord(
        [
          { host: 'web1', records: [facts1] },
          { host: 'web2', records: [{ ...facts1 }] },
          { host: 'web3', records: [] },
        ],
        ID,
      ),
    ).toEqual({ record: facts1, missingOn: ['web3'] });
  });

  test('hosts that disagree are refused, naming what each records', () => {
    const go = () =>
      agreeOnRecord(
        [
          { host: 'web1', records: [facts1] },
          { host: 'web2', records: [facts2] },
          { host: 'web3', records: [facts1] },
        ],
        ID,
      );
    expect(go).toThrow(DeployError);
    expect(go).toThrow(
      `the deploy logs record different archives for release ${ID} (web1, web3: artifact_id=11 artifact=php-deploy-${ID} digest=${D1} run_id=4242; ` +
        `web2: artifact_id=12 artifact=php-deploy-${ID} digest=${D2} run_id=4243); nothing was restored — check the servers' .php-deploy/log.jsonl, or deploy that version again instead`,
    );
    // Two different records on one host are a disagreement too.
    expect(() => agreeOnRecord([{ host: 'web1', records: [facts1, facts2] }], ID)).toThrow(/record different archives/);
    // Same id, other digest: different.
    expect(() => agreeOnRecord([{ host: 'a', records: [facts1] }, { host: 'b', records: [{ ...facts1, digest: D2 }] }], ID)).toThrow(/record different archives/);
  });

  test('no record anywhere: one line saying why and what to do', () => {
    let err: unknown;
    try {
      agreeOnRecord([{ host: 'web1', records: [] }, { host: 'web2', records: [] }], ID);
    } catch (e) {
      err = e;
    }
    expect((err as DeployError).oneLine()).toBe(
      `restore: release ${ID} is no longer on the servers and no deploy log records a kept archive of it (it was deployed with artifact: false, or with artifact: auto from a public repository, or its upload failed), so there is nothing to restore; deploy that version again instead`,
    );
  });
});

describe('runRollback of a pruned release, against scripted servers', () => {
  afterAll(() => cleanupTemp());
  const keys = utils.generateKeyPairSync('ed25519');
  const hostKey = utils.generateKeyPairSync('ed25519').public;
  const labels = ['deploy@h1', 'deploy@h2'];
  const settings = () =>
    parseSettings(
      {
        command: 'rollback',
        'deploy-id': ID,
        hosts: labels.join('\n'),
        'ssh-key': keys.private,
        'known-hosts': labels.map((h) => `${h.split('@')[1]} ${hostKey}`).join('\n'),
        'deploy-path': '/srv/app',
      },
      { sha: '0123456789abcdef0123456789abcdef01234567', who: 'tester@ci' },
    );
  /** Two hosts live on r1; release ID was pruned from both. */
  const servers = (logs: string[][]) =>
    labels.map((l, i) => {
      const f = new FakeServer(l, { live: 'r1', releases: ['r0', 'r1'] });
      f.log.push(...(logs[i] ?? []));
      return f;
    });
  /** A store whose fetch hands back `archive` and records what it was asked for. */
  const storeOf = (archive: () => Promise<Buffer>) => {
    const asked: ArchiveFacts[] = [];
    const store: ArtifactStore = {
      async fetch(_id, record) {
        asked.push(record);
        const bytes = await archive();
        return { open: () => Readable.from(bytes), cleanup: async () => {} };
      },
    };
    return { store, asked };
  };
  const goodArchive = async (): Promise<Buffer> => {
    const src = mkdtempSync(join(tmpdir(), 'php-deploy-restore-'));
    trackTemp(src);
    writeFileSync(join(src, 'index.php'), '<?php echo "restored";\n');
    const { entries, manifestText } = await manifestOf(src);
    const a = await createReleaseArchive(src, entries, manifestText);
    trackTemp(a.dir);
    return readFileSync(a.path);
  };
  const failure = async (p: Promise<unknown>): Promise<DeployError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DeployError);
    return e as DeployError;
  };

  test('the hosts agree: exactly that record is fetched, unpacked and deployed under its own id', async () => {
    const fakes = servers([[note(facts1)], [note(facts1)]]);
    const { store, asked } = storeOf(goodArchive);
    const result = await runRollback(settings(), new MemoryReporter(), { connect: async () => fakes, artifacts: store });
    expect(asked).toEqual([facts1]);
    expect(result).toMatchObject({ command: 'rollback', restored: true, deployId: ID });
    for (const f of fakes) {
      expect(f.live).toBe(ID);
      expect(f.commands().slice(0, 3)).toEqual(['list', 'records', 'preflight']);
    }
  });

  test('hosts that disagree: refused, nothing fetched, nothing sent to a server', async () => {
    const fakes = servers([[note(facts1)], [note(facts2)]]);
    const { store, asked } = storeOf(goodArchive);
    const e = await failure(runRollback(settings(), new MemoryReporter(), { connect: async () => fakes, artifacts: store }));
    expect(e.oneLine()).toMatch(new RegExp(`^restore: the deploy logs record different archives for release ${ID} \\(deploy@h1: artifact_id=11 .*; deploy@h2: artifact_id=12 `));
    expect(asked).toEqual([]);
    for (const f of fakes) {
      expect(f.commands()).toEqual(['list', 'records']);
      expect(f.live).toBe('r1');
    }
  });

  test('no record on any host: one line, nothing fetched', async () => {
    const fakes = servers([[note(facts1, { id: 'r1' })], []]);
    const { store, asked } = storeOf(goodArchive);
    const e = await failure(runRollback(settings(), new MemoryReporter(), { connect: async () => fakes, artifacts: store }));
    expect(e.message).toMatch(new RegExp(`^release ${ID} is no longer on the servers and no deploy log records a kept archive of it .*; deploy that version again instead$`));
    expect(asked).toEqual([]);
  });

  test('an archive with an entry that escapes the target: refused before any server is locked', async () => {
    const fakes = servers([[note(facts1)], [note(facts1)]]);
    const { store } = storeOf(() =>
      tgz([
        { name: 'index.php', body: '<?php\n' },
        { name: '../../../home/deploy/.ssh/authorized_keys', body: 'ssh-ed25519 AAAA mallory\n' },
        { name: MANIFEST_NAME, body: '# php-deploy manifest v1\n' },
      ]),
    );
    const e = await failure(runRollback(settings(), new MemoryReporter(), { connect: async () => fakes, artifacts: store }));
    expect(e.oneLine()).toBe(
      'artifact: refusing the release archive: entry "../../../home/deploy/.ssh/authorized_keys" climbs out of the target with ..; nothing was restored',
    );
    for (const f of fakes) {
      expect(f.commands()).toEqual(['list', 'records']);
      expect(f.live).toBe('r1');
    }
  });
});
