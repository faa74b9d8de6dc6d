/**
 * Composer version constraints, as composer/semver's VersionParser reads them, for checking a PHP
 * runtime against composer.lock. Versions normalize to Composer's 4-part form ("8.2.0.0-dev") and
 * compare as PHP's version_compare() does (dev < alpha < beta < RC < release < patch).
 *
 * Supported: `*`/`x`, exact and `=`/`==`/`!=`/`<>`/`<`/`<=`/`>`/`>=`, `^`, `~`, wildcards (`8.2.*`,
 * `8.x`), hyphen ranges (`8.1 - 8.3`), AND by comma or space, OR by `||` or `|`, `@stable`-like
 * flags, `v` prefixes, `+build` metadata, ` as ` aliases and `#ref` suffixes. Branch constraints
 * (`dev-main`) parse but match no numbered runtime version.
 */
import { DeployError } from '../errors.js';

/** Pre-release / dev modifier, as composer/semver's `$modifierRegex`. */
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?';
const CLASSIC_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const VERSION_IN_CONSTRAINT =
  `v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?(?:${MODIFIER}|\\.([xX*][.-]?dev))(?:\\+[^\\s]+)?`;
const STABILITY_FLAG_RE = /^([^,\s]*?)@(stable|RC|beta|alpha|dev)$/i;

class ConstraintSyntaxError extends Error {}

function expandStability(s: string): string {
  switch (s.toLowerCase()) {
    case 'a':
      return 'alpha';
    case 'b':
      return 'beta';
    case 'p':
    case 'pl':
      return 'patch';
    case 'rc':
      return 'RC';
    default:
      return s.toLowerCase();
  }
}

/** Composer's normalized form of a version ("v8.2" → "8.2.0.0", "8.4.0RC1" → "8.4.0.0-RC1"); throws on garbage. */
export function normalizeVersion(input: string): string {
  let v = input.trim();
  const orig = v;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(v);
  if (alias) v = alias[1]!;
  v = v.replace(/@(?:stable|RC|beta|alpha|dev)$/i, '');
  if (v === 'master' || v === 'trunk' || v === 'default') v = `dev-${v}`;
  if (/^dev-/i.test(v)) return `dev-${v.slice(4)}`;
  const build = /^([^,\s+]+)\+\S+$/.exec(v);
  if (build) v = build[1]!;

  let m = CLASSIC_RE.exec(v);
  let out: string | undefined;
  let idx = 0;
  if (m) {
    out = `${m[1]}${m[2] || '.0'}${m[3] || '.0'}${m[4] || '.0'}`;
    idx = 5;
  } else if ((m = DATE_RE.exec(v))) {
    out = m[1]!.replace(/\D/g, '.');
    idx = 2;
  }
  if (m && out !== undefined) {
    const stab = m[idx];
    if (stab) {
      if (stab.toLowerCase() === 'stable') return out;
      out += `-${expandStability(stab)}${(m[idx + 1] ?? '').replace(/^[.-]+/, '')}`;
    }
    if (m[idx + 2]) out += '-dev';
    return out;
  }
  // Numeric branches: "2.1.x-dev", "2.1-dev".
  const branch = /^(.*?)[.-]?dev$/i.exec(v);
  if (branch) {
    const b = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/.exec(branch[1]!.trim());
    if (b) {
      let s = '';
      for (let i = 1; i < 5; i++) s += b[i] !== undefined ? b[i]!.replace(/[*X]/g, 'x') : '.x';
      return `${s.replace(/x/g, '9999999')}-dev`;
    }
  }
  throw new ConstraintSyntaxError(`invalid version string "${orig}"`);
}

// ---- version_compare ------------------------------------------------------------------------

type Token = number | string;

/** PHP's version_compare canonical form: separators to '.', '.' between digit/non-digit runs. */
function tokens(v: string): Token[] {
  const out: Token[] = [];
  for (const part of v.replace(/[-_+]/g, '.').split('.')) {
    if (part === '') continue;
    for (const run of part.match(/\d+|\D+/g) ?? []) out.push(/^\d/.test(run) ? Number(run) : run);
  }
  return out;
}

/** Order of version_compare's special forms; numbers rank as '#'. */
function rank(t: Token): number {
  if (typeof t === 'number') return 5;
  const s = t.toLowerCase();
  if (s === 'dev') return 1;
  if (s === 'alpha' || s === 'a') return 2;
  if (s === 'beta' || s === 'b') return 3;
  if (s === 'rc') return 4;
  if (s === '#') return 5;
  if (s === 'pl' || s === 'p' || s === 'patch') return 6;
  return 0; // any other string sorts before dev
}

/** version_compare(a, b) on two normalized versions: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return typeof y === 'number' ? -1 : 5 - rank(y!) || 0;
    if (y === undefined) return typeof x === 'number' ? 1 : rank(x) - 5 || 0;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else if (rank(x) !== rank(y)) {
      return rank(x) - rank(y);
    }
  }
  return 0;
}

// ---- constraints ----------------------------------------------------------------------------

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';

interface Atom {
  op: Op;
  version: string;
}

/** OR of AND groups; an empty AND group matches everything. */
export interface Constraint {
  /** The text as written. */
  text: string;
  any: Atom[][];
}

/** Sets the part at `position` (1..4) +increment and zeroes the parts after it, as Composer does. */
function bump(parts: (string | undefined)[], position: number, increment: number): string {
  const p = [0, 1, 2, 3, 4].map((i) => Number(parts[i] ?? 0) || 0);
  for (let i = 4; i > 0; i--) {
    if (i > position) p[i] = 0;
    else if (i === position) p[i] = (p[i] ?? 0) + increment;
  }
  return `${p[1]}.${p[2]}.${p[3]}.${p[4]}`;
}

const present = (s: string | undefined): boolean => s !== undefined && s !== '';

function parseAtom(input: string): Atom[] {
  let c = input;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(c);
  if (alias) c = alias[1]!;
  let stabilityModifier: string | undefined;
  const flag = STABILITY_FLAG_RE.exec(c);
  if (flag) {
    c = flag[1] !== '' ? flag[1]! : '*';
    if (flag[2]!.toLowerCase() !== 'stable') stabilityModifier = flag[2]!;
  }
  const ref = /^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$/i.exec(c);
  if (ref) c = ref[1]!;

  const star = /^(v)?[xX*](\.[xX*])*$/i.exec(c);
  if (star) return star[1] || star[2] ? [{ op: '>=', version: '0.0.0.0-dev' }] : [];

  const range = rangeAtoms(c, input);
  if (range) return range;

  // Comparators and exact versions.
  const m = /^(<>|!=|>=?|<=?|==?)?\s*(.*)$/.exec(c);
  if (m) {
    const raw = m[2]!;
    let version: string;
    try {
      version = normalizeVersion(raw);
    } catch (err) {
      if (raw.endsWith('-dev') && /^[0-9a-zA-Z./-]+$/.test(raw)) version = normalizeVersion(`dev-${raw.slice(0, -4)}`);
      else throw err;
    }
    const written = m[1] ?? '';
    const op: Op = written === '' || written === '==' ? '=' : written === '<>' ? '!=' : (written as Op);
    if (op !== '=' && stabilityModifier && parseStability(version) === 'stable') {
      version += `-${stabilityModifier}`;
    } else if ((op === '<' || op === '>=') && !new RegExp(`-${MODIFIER}$`).test(raw.toLowerCase()) && !raw.startsWith('dev-')) {
      version += '-dev';
    }
    return [{ op, version }];
  }
  throw new ConstraintSyntaxError(`cannot parse "${input}"`);
}

/** The range forms of one constraint (tilde, caret, wildcard, hyphen) as atoms; undefined for others. */
function rangeAtoms(c: string, input: string): Atom[] | undefined {
  // Tilde: ~8.2 → >=8.2.0.0-dev <9.0.0.0-dev; ~8.2.1 → <8.3.
  let m = new RegExp(`^~>?${VERSION_IN_CONSTRAINT}$`, 'i').exec(c);
  if (m) {
    if (c.startsWith('~>')) throw new ConstraintSyntaxError(`invalid operator "~>" in "${input}" (did you mean "~"?)`);
    let position = present(m[4]) ? 4 : present(m[3]) ? 3 : present(m[2]) ? 2 : 1;
    if (m[8]) position++;
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    return [
      { op: '>=', version: normalizeVersion(c.slice(1) + suffix) },
      { op: '<', version: `${bump(m, Math.max(1, position - 1), 1)}-dev` },
    ];
  }

  // Caret: the left-most non-zero part of major.minor.patch stays.
  m = new RegExp(`^\\^${VERSION_IN_CONSTRAINT}$`, 'i').exec(c);
  if (m) {
    const position = m[1] !== '0' || !present(m[2]) ? 1 : m[2] !== '0' || !present(m[3]) ? 2 : 3;
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    return [
      { op: '>=', version: normalizeVersion(c.slice(1) + suffix) },
      { op: '<', version: `${bump(m, position, 1)}-dev` },
    ];
  }

  // Wildcard: 8.2.* → >=8.2.0.0-dev <8.3.0.0-dev.
  m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+$/.exec(c);
  if (m) {
    const position = present(m[3]) ? 3 : present(m[2]) ? 2 : 1;
    const low = `${bump(m, position, 0)}-dev`;
    const high = `${bump(m, position, 1)}-dev`;
    return low === '0.0.0.0-dev' ? [{ op: '<', version: high }] : [{ op: '>=', version: low }, { op: '<', version: high }];
  }

  // Hyphen range: 8.1 - 8.3 → >=8.1.0.0-dev <8.4.0.0-dev; a full upper version is inclusive.
  m = new RegExp(`^(${VERSION_IN_CONSTRAINT}) +- +(${VERSION_IN_CONSTRAINT})$`, 'i').exec(c);
  if (m) {
    const from = m[1]!;
    const to = m[10]!;
    const lowSuffix = !m[6] && !m[8] && !m[9] ? '-dev' : '';
    const lower: Atom = { op: '>=', version: normalizeVersion(from) + lowSuffix };
    const full = (present(m[12]) && present(m[13])) || !!m[15] || !!m[17] || !!m[18];
    if (full) return [lower, { op: '<=', version: normalizeVersion(to) }];
    normalizeVersion(to);
    const high = ['', m[11], m[12], m[13], m[14]];
    return [lower, { op: '<', version: `${bump(high, present(m[12]) ? 2 : 1, 1)}-dev` }];
  }
  return undefined;
}

function parseStability(normalized: string): string {
  if (normalized.startsWith('dev-') || normalized.endsWith('-dev')) return 'dev';
  const m = /-(alpha|beta|RC|patch)/i.exec(normalized);
  return m && m[1]!.toLowerCase() !== 'patch' ? m[1]! : 'stable';
}

/** Parses a Composer constraint; throws DeployError (phase 'preflight') when Composer would refuse it too. */
export function parseConstraint(text: string): Constraint {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed === '') throw new DeployError(`empty version constraint`, { phase: 'preflight' });
  const any: Atom[][] = [];
  try {
    for (const orPart of trimmed.split(/ ?\|\|? ?/)) {
      // Split AND parts on comma or space, but not after an operator or around a hyphen range.
      const andParts = orPart.split(/(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)/);
      const group: Atom[] = [];
      for (const part of andParts) group.push(...parseAtom(part.trim()));
      any.push(group);
    }
  } catch (err) {
    if (err instanceof ConstraintSyntaxError) {
      throw new DeployError(`cannot parse version constraint "${text}": ${err.message}`, { phase: 'preflight', cause: err });
    }
    throw err;
  }
  return { text, any };
}

function atomHolds(version: string, a: Atom): boolean {
  // Branch names only equal themselves.
  if (a.version.startsWith('dev-') || version.startsWith('dev-')) {
    return a.op === '=' ? a.version === version : a.op === '!=' ? a.version !== version : false;
  }
  const c = compareVersions(version, a.version);
  switch (a.op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Does the normalized `version` satisfy the constraint? */
export function constraintMatches(constraint: Constraint, normalizedVersion: string): boolean {
  return constraint.any.some((group) => group.every((a) => atomHolds(normalizedVersion, a)));
}

/** Does `version` (any Composer-readable form, e.g. "8.2.36" or "v8.2") satisfy `constraint`? */
export function satisfies(version: string, constraint: string | Constraint): boolean {
  const c = typeof constraint === 'string' ? parseConstraint(constraint) : constraint;
  let v: string;
  try {
    v = normalizeVersion(version);
  } catch (err) {
    throw new DeployError(`cannot read version "${version}"`, { phase: 'preflight', cause: err });
  }
  return constraintMatches(c, v);
}

/**
 * A runtime's PHP_VERSION in Composer's form. Distribution suffixes are dropped
 * ("8.1.2-1ubuntu2.14" → "8.1.2.0"); pre-releases are kept ("8.4.0RC1" → "8.4.0.0-RC1").
 */
export function normalizePhpVersion(phpVersion: string): string {
  const m = /^\s*v?(\d+(?:\.\d+){0,3})(?:[-.]?(alpha|beta|rc|a|b)(\d*))?(-dev)?/i.exec(phpVersion);
  if (!m) throw new DeployError(`cannot read PHP version "${phpVersion}"`, { phase: 'preflight' });
  return normalizeVersion(`${m[1]}${m[2] ? `-${m[2]}${m[3] ?? ''}` : ''}${m[4] ?? ''}`);
}
