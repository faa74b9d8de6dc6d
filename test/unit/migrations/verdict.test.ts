import { describe, expect, test } from 'vitest';
import { DeployError, InputError } from '../../../src/errors.js';
import { guardError, guardVerdict, parseGuardMode, type Finding } from '../../../src/migrations/index.js';

const drop: Finding = {
  path: 'database/migrations/2024_03_01_000000_drop_legacy.php',
  line: 16,
  statement: "$table->dropColumn('notes');",
  rule: 'drop-column',
  verdict: 'destructive',
  message: 'drops column orders.notes: the live release still reads and writes it, and a rollback cannot bring the data back',
};
const allowed: Finding = {
  path: 'migrations/V2__x.sql',
  line: 3,
  statement: 'DROP TABLE old_sessions',
  rule: 'drop-table',
  verdict: 'destructive',
  message: 'drops table old_sessions: …',
  allowed: { reason: 'sessions moved to redis' },
};

describe('guardVerdict', () => {
  test('forbid: refuses, lists each finding, explains expand/contract and the marker', () => {
    const v = guardVerdict([drop, allowed], 'forbid');
    expect(v.refused).toBe(true);
    expect(v.blocking).toBe(1);
    expect(v.lines).toEqual([
      "database/migrations/2024_03_01_000000_drop_legacy.php:16: drop-column: $table->dropColumn('notes');",
      `    ${drop.message}`,
      'migrations/V2__x.sql:3: drop-table (allowed: sessions moved to redis): DROP TABLE old_sessions',
      `    ${allowed.message}`,
      '1 migration statement would break the live release and a rollback to it. Migrations must stay compatible with the release that is live now, so that a rollback works: add (expand) in this release, remove (contract) in a later one once no live or rollback-target release uses it.',
      'To allow one statement anyway, put a comment "php-deploy: allow-destructive <reason>" on its line or on the line right above it (// or # in PHP, -- in SQL); for a whole file, "php-deploy: allow-destructive-file <reason>" in its first 20 lines.',
    ]);
  });

  test('forbid with only allowed findings: lists them, does not refuse', () => {
    const v = guardVerdict([allowed], 'forbid');
    expect(v.refused).toBe(false);
    expect(v.lines).toHaveLength(2);
  });

  test('warn: lists, says it deploys anyway, does not refuse', () => {
    const v = guardVerdict([drop, drop], 'warn');
    expect(v.refused).toBe(false);
    expect(v.lines.at(-1)).toBe('2 migration statements would break the live release and a rollback to it; deploying anyway (migration guard: warn).');
  });

  test('off, or nothing found: silent', () => {
    const none = { refused: false, lines: [], unknownLines: [], blocking: 0, unknown: 0 };
    expect(guardVerdict([drop], 'off')).toEqual(none);
    expect(guardVerdict([], 'forbid')).toEqual(none);
  });

  const unsure: Finding = {
    path: 'database/migrations/2024_05_01_000000_email.php',
    line: 12,
    statement: "$table->string('email', 191)->change();",
    rule: 'modify-column',
    verdict: 'cannot-vouch',
    message: 'changes users.email (to VARCHAR(191) NOT NULL), whose current definition no earlier migration or down() shows: …',
  };

  test('cannot vouch: listed apart from destructive ones, and forbid does not refuse for it', () => {
    const v = guardVerdict([unsure], 'forbid');
    expect(v.refused).toBe(false);
    expect(v.blocking).toBe(0);
    expect(v.unknown).toBe(1);
    expect(v.lines).toEqual([]);
    expect(v.unknownLines).toEqual([
      'cannot vouch for 1 migration statement:',
      "database/migrations/2024_05_01_000000_email.php:12: modify-column: $table->string('email', 191)->change();",
      `    ${unsure.message}`,
      expect.stringMatching(/^php-deploy cannot tell whether these are safe .* so they do not stop the deploy; check them, and say you did with "php-deploy: allow-destructive <reason>"/),
    ]);
    expect(guardError(v)).toBeUndefined();
  });

  test('destructive and cannot-vouch together: refuses for the destructive one only, lists both apart', () => {
    const v = guardVerdict([unsure, drop], 'forbid');
    expect(v.refused).toBe(true);
    expect(v.blocking).toBe(1);
    expect(v.lines[0]).toMatch(/drop_legacy\.php:16: drop-column/);
    expect(v.lines.join('\n')).not.toMatch(/modify-column/);
    expect(v.unknownLines[1]).toMatch(/email\.php:12: modify-column/);
    expect(guardError(v)?.message).toMatch(/refused 1 destructive statement/);
  });

  test('a cannot-vouch finding with a marker is counted as checked', () => {
    const v = guardVerdict([{ ...unsure, allowed: { reason: 'email was VARCHAR(191) since 2019' } }], 'forbid');
    expect(v.unknown).toBe(0);
    expect(v.unknownLines).toEqual([
      'cannot vouch for 1 migration statement (1 checked and marked):',
      "database/migrations/2024_05_01_000000_email.php:12: modify-column (allowed: email was VARCHAR(191) since 2019): $table->string('email', 191)->change();",
      `    ${unsure.message}`,
    ]);
  });

  test('guardError', () => {
    expect(guardError(guardVerdict([allowed], 'forbid'))).toBeUndefined();
    const e = guardError(guardVerdict([drop, drop, allowed], 'forbid'))!;
    expect(e).toBeInstanceOf(DeployError);
    expect(e.oneLine()).toMatch(/^migrations: refused 2 destructive statements/);
  });
});

describe('parseGuardMode', () => {
  test.each([
    ['forbid', 'forbid'],
    [' Warn ', 'warn'],
    ['off', 'off'],
    ['', 'forbid'],
    [undefined, 'forbid'],
  ])('%j → %s', (input, want) => {
    expect(parseGuardMode(input)).toBe(want);
  });

  test('anything else is an InputError naming the input', () => {
    expect(() => parseGuardMode('strict', 'migrations')).toThrow(InputError);
    expect(() => parseGuardMode('strict', 'migrations')).toThrow(/^migrations: must be forbid, warn or off \(got "strict"\)$/);
  });
});
