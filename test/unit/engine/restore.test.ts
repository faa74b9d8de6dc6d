/** Which kept archive a restore asks for: read from every host's deploy log, refused when they disagree. */
import { describe, expect, test } from 'vitest';
import { agreeOnRecord, parseArchiveRecords } from '../../../src/engine/restore.js';
import { DeployError } from '../../../src/errors.js';

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
