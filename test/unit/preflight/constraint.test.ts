import { describe, expect, it } from 'vitest';
import { DeployError } from '../../../src/errors.js';
import { compareVersions, normalizePhpVersion, normalizeVersion, parseConstraint, satisfies } from '../../../src/preflight/constraint.js';

describe('normalizeVersion', () => {
  it.each([
    ['8.2', '8.2.0.0'],
    ['v8.2.1', '8.2.1.0'],
    ['8.4.0RC1', '8.4.0.0-RC1'],
    ['1.0.0-beta2', '1.0.0.0-beta2'],
    ['1.0.0-b2', '1.0.0.0-beta2'],
    ['2.1.x-dev', '2.1.9999999.9999999-dev'],
    ['1.2.3+build.5', '1.2.3.0'],
    ['1.0.0-stable', '1.0.0.0'],
    ['dev-main', 'dev-main'],
  ])('%s → %s', (input, want) => {
    expect(normalizeVersion(input)).toBe(want);
  });

  it('reads PHP_VERSION with distribution suffixes and pre-releases', () => {
    expect(normalizePhpVersion('8.1.2-1ubuntu2.14')).toBe('8.1.2.0');
    expect(normalizePhpVersion('8.2.36')).toBe('8.2.36.0');
    expect(normalizePhpVersion('8.4.0RC1')).toBe('8.4.0.0-RC1');
    expect(normalizePhpVersion('8.3.0-dev')).toBe('8.3.0.0-dev');
    expect(() => normalizePhpVersion('banana')).toThrow(DeployError);
  });

  it('orders like version_compare', () => {
    const sorted = ['8.2.0.0-dev', '8.2.0.0-alpha1', '8.2.0.0-beta1', '8.2.0.0-RC1', '8.2.0.0-RC2', '8.2.0.0', '8.2.0.0-patch1', '8.2.1.0', '8.10.0.0'];
    for (let i = 0; i < sorted.length - 1; i++) expect(compareVersions(sorted[i]!, sorted[i + 1]!)).toBeLessThan(0);
    expect(compareVersions('8.2.0.0', '8.2.0.0')).toBe(0);
  });
});

describe('Composer constraints', () => {
  it.each<[string, string, boolean]>([
    // caret
    ['8.2.36', '^8.2', true],
    ['8.1.27', '^8.2', false],
    ['9.0.0', '^8.2', false],
    ['8.4.0RC1', '^8.4', true],
    ['8.4.0-dev', '^8.4', true],
    ['0.3.5', '^0.3', true],
    ['0.4.0', '^0.3', false],
    ['0.0.4', '^0.0.3', false],
    // tilde: ~8.2 allows 8.x, ~8.2.0 only 8.2.x
    ['8.2.36', '~8.2.0', true],
    ['8.3.0', '~8.2.0', false],
    ['8.3.1', '~8.2', true],
    ['9.0.0', '~8.2', false],
    ['8.0.0', '~8', true],
    ['9.0.0', '~8', false],
    // ranges with space and comma
    ['8.3.4', '>=8.1 <8.4', true],
    ['8.4.0', '>=8.1 <8.4', false],
    ['8.4.0RC1', '>=8.1 <8.4', false],
    ['8.1.0', '>=8.1,<8.4', true],
    ['8.0.30', '>=8.1, <8.4', false],
    ['8.2.0', '>= 8.1', true],
    ['8.1.5', '>8.1', true],
    ['8.1.0', '>8.1', false],
    ['8.3.5', '<=8.3', false],
    ['8.3.0', '<=8.3', true],
    // wildcards
    ['8.2.99', '8.2.*', true],
    ['8.3.0', '8.2.*', false],
    ['8.9.0', '8.x', true],
    ['9.0.0', '8.x', false],
    ['5.6.40', '*', true],
    ['8.2.0', 'x', true],
    // OR with || and |
    ['7.4.33', '^7.4 || ^8.0', true],
    ['8.3.1', '^7.4|^8.0', true],
    ['7.3.0', '^7.4 | ^8.0', false],
    ['8.3.0', '>=8.1.0 <8.4.0 || >=8.5', true],
    ['8.4.2', '>=8.1.0 <8.4.0 || >=8.5', false],
    ['8.5.0', '>=8.1.0 <8.4.0 || >=8.5', true],
    // != and <>
    ['8.2.3', '>=8.2 !=8.2.3', false],
    ['8.2.4', '>=8.2,!=8.2.3', true],
    ['8.2.0', '<>8.2.0', false],
    // exact
    ['8.2.0', '8.2', true],
    ['8.2.1', '8.2', false],
    ['8.2.1', '==8.2.1', true],
    // stability flags and v prefixes
    ['8.2.0', '^8.2@stable', true],
    ['8.1.0', '>=8.1@dev', true],
    ['8.2.1', 'v8.2.1', true],
    ['8.2.1', '^v8.2', true],
    ['8.3.0', '~v8.2.0', false],
    // hyphen ranges: partial upper bound is a prefix, full is inclusive
    ['8.2.9', '8.1 - 8.2', true],
    ['8.3.0', '8.1 - 8.2', false],
    ['8.2.1', '8.1.0 - 8.2.0', false],
    ['8.2.0', '8.1.0 - 8.2.0', true],
    ['8.0.9', '8.1 - 8.2', false],
    // distribution PHP_VERSION
    ['8.1.2', '^8.1', true],
  ])('%s satisfies %s: %s', (version, constraint, want) => {
    expect(satisfies(version, constraint)).toBe(want);
  });

  it('refuses what Composer refuses', () => {
    expect(() => parseConstraint('~>8.1')).toThrow(/did you mean "~"/);
    expect(() => parseConstraint('>=banana')).toThrow(DeployError);
    expect(() => parseConstraint('')).toThrow(DeployError);
  });

  it('reads branch constraints without matching numbered versions', () => {
    expect(satisfies('8.2.0', 'dev-main')).toBe(false);
    expect(satisfies('8.2.0', 'dev-main#abc123 || ^8.2')).toBe(true);
  });
});
