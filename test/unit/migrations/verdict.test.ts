import { describe, expect, test } from 'vitest';
import { DeployError, InputError } from '../../../src/errors.js';
import { guardError, guardVerdict, parseGuardMode, type Finding } from '../../../src/migrations/index.js';

const drop: Finding = {
  path: 'database/migrations/2024_03_01_000000_drop_legacy.php',
  line: 16,
  statement: "$table->dropColumn('notes');",
  rule: 'drop-column',
  message: 'drops column orders.notes: the live release still reads and writes it, and a rollback cannot bring the data back',
};
const allowed: Finding = {
  path: 'migrations/V2__x.sql',
  line: 3,
  statement: 'DROP TABLE old_sessions',
  rule: 'drop-table',
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
    expect(guardVerdict([drop], 'off')).toEqual({ refused: false, lines: [], blocking: 0 });
    expect(guardVerdict([], 'forbid')).toEqual({ refused: false, lines: [], blocking: 0 });
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
