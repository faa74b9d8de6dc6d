/**
 * Composer's platform requirements (php, ext-*) from composer.lock, checked against a PHP runtime
 * (php-fpm pool or CLI) as the server reports it. One check line per missing extension and one for
 * the PHP version.
 */
import { DeployError } from '../errors.js';
import { compareVersions, constraintMatches, normalizePhpVersion, normalizeVersion, parseConstraint, type Constraint } from './constraint.js';
import type { Check } from './types.js';

export interface Requirement {
  name: 'php' | `ext-${string}`;
  /** As written in composer.json / the package's require. */
  constraint: string;
  /** 'composer.lock platform' (the root composer.json) or the requiring package's name. */
  from: string;
}

export interface PhpRuntime {
  /** PHP_VERSION, e.g. '8.2.36' or '8.1.2-1ubuntu2.14'. */
  php: string;
  /** get_loaded_extensions(), any case. */
  extensions: string[];
}

export const ROOT_REQUIRER = 'composer.lock platform';

interface LockPackage {
  name?: unknown;
  require?: unknown;
  provide?: unknown;
  replace?: unknown;
}

interface LockFile {
  packages?: unknown;
  'packages-dev'?: unknown;
  platform?: unknown;
  'platform-dev'?: unknown;
  'platform-overrides'?: unknown;
}

function parseLock(text: string): LockFile {
  let v: unknown;
  try {
    v = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new DeployError(`composer.lock is not valid JSON (${(err as Error).message}); regenerate it with composer update --lock`, {
      phase: 'preflight',
      cause: err,
    });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new DeployError('composer.lock is not a JSON object; regenerate it with composer update --lock', { phase: 'preflight' });
  }
  return v as LockFile;
}

/** A JSON object's string entries (Composer writes an empty map as `[]`). */
function stringMap(v: unknown): [string, string][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string');
}

function packageList(v: unknown): LockPackage[] {
  return Array.isArray(v) ? v.filter((p): p is LockPackage => typeof p === 'object' && p !== null) : [];
}

/**
 * The canonical name of an extension: lowercase, without `ext-`, with `-`, `_` and spaces alike
 * ("Zend OPcache", "ext-zend-opcache" and "zend_opcache" are all "zend-opcache").
 */
export function normalizeExtension(name: string): string {
  const n = name
    .trim()
    .toLowerCase()
    .replace(/^ext-/, '')
    .replace(/[\s_-]+/g, '-');
  return EXTENSION_ALIASES[n] ?? n;
}

const EXTENSION_ALIASES: Record<string, string> = { opcache: 'zend-opcache' };

/** A platform package name as a requirement name, or undefined for lib-*, composer-* and the like. */
function requirementName(name: string): Requirement['name'] | undefined {
  const n = name.toLowerCase();
  if (n === 'php' || n === 'php-64bit') return 'php';
  if (n.startsWith('ext-') && n.length > 4) return n as `ext-${string}`;
  return undefined;
}

/**
 * The php and ext-* requirements recorded in composer.lock: the root's (`platform`) and every locked
 * package's `require`. Dev packages and `platform-dev` count only with `dev: true`. An extension that
 * a locked package provides or replaces (e.g. symfony/polyfill-mbstring provides ext-mbstring) is
 * not required of the runtime, as Composer itself decides. Throws DeployError for an unreadable lock.
 */
export function platformRequirements(composerLockText: string, opts: { dev?: boolean } = {}): Requirement[] {
  const lock = parseLock(composerLockText);
  const out: Requirement[] = [];
  const seen = new Set<string>();
  const add = (rawName: string, constraint: string, from: string): void => {
    const name = requirementName(rawName);
    if (!name) return;
    const key = `${name}\0${constraint}\0${from}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ name, constraint, from });
  };
  for (const [n, c] of stringMap(lock.platform)) add(n, c, ROOT_REQUIRER);
  if (opts.dev) for (const [n, c] of stringMap(lock['platform-dev'])) add(n, c, `${ROOT_REQUIRER} (dev)`);

  const packages = [...packageList(lock.packages), ...(opts.dev ? packageList(lock['packages-dev']) : [])];
  const provided = new Set<string>();
  for (const p of packages) {
    const from = typeof p.name === 'string' ? p.name : '(unnamed package)';
    for (const [n, c] of stringMap(p.require)) add(n, c, from);
    for (const [n] of [...stringMap(p.provide), ...stringMap(p.replace)]) {
      if (requirementName(n)?.startsWith('ext-')) provided.add(normalizeExtension(n));
    }
  }
  return out.filter((r) => r.name === 'php' || !provided.has(normalizeExtension(r.name)));
}

/** composer.lock's `platform-overrides` (config.platform of composer.json): versions Composer pretended. */
export function platformOverrides(composerLockText: string): Record<string, string> {
  return Object.fromEntries(stringMap(parseLock(composerLockText)['platform-overrides']));
}

// ---- extensions -----------------------------------------------------------------------------

/** Extensions PHP cannot be built without, by the version that made them mandatory. */
const ALWAYS_LOADED: [ext: string, since: string][] = [
  ['core', '0'],
  ['date', '5.3'],
  ['pcre', '5.3'],
  ['reflection', '5.3'],
  ['spl', '5.3'],
  ['standard', '0'],
  ['hash', '7.4'],
  ['json', '8.0'],
  ['random', '8.2'],
];

/** Compiled into the PHP binary of Debian/Ubuntu and the official images: no package to install. */
const BUILT_IN = new Set(['core', 'date', 'filter', 'hash', 'json', 'libxml', 'openssl', 'pcre', 'random', 'reflection', 'session', 'sodium', 'spl', 'standard', 'zlib']);

/** Debian/Ubuntu (and deb.sury.org) package suffix: php8.2-<suffix>. */
const DEB_PACKAGE: Record<string, string> = {
  'pdo-mysql': 'mysql',
  mysqli: 'mysql',
  mysqlnd: 'mysql',
  'pdo-pgsql': 'pgsql',
  'pdo-sqlite': 'sqlite3',
  'pdo-odbc': 'odbc',
  'pdo-dblib': 'sybase',
  'pdo-firebird': 'interbase',
  'zend-opcache': 'opcache',
  dom: 'xml',
  simplexml: 'xml',
  xmlreader: 'xml',
  xmlwriter: 'xml',
  xsl: 'xml',
  ctype: 'common',
  fileinfo: 'common',
  iconv: 'common',
  tokenizer: 'common',
  ftp: 'common',
  gettext: 'common',
  exif: 'common',
  calendar: 'common',
  sockets: 'common',
  shmop: 'common',
  sysvmsg: 'common',
  sysvsem: 'common',
  sysvshm: 'common',
  pdo: 'common',
  phar: 'common',
  posix: 'common',
  ffi: 'common',
};

function phpMinor(normalized: string): string {
  const [major = '0', minor = '0'] = normalized.split('.');
  return `${major}.${minor}`;
}

function missingExtensionFix(ext: string, minor: string, where: string): string {
  const reload = /fpm/i.test(where) ? ' and reload php-fpm' : '';
  if (BUILT_IN.has(ext)) return `it is compiled into PHP, so this PHP build lacks it: use a PHP build with ${ext} enabled${reload}`;
  const pkg = DEB_PACKAGE[ext] ?? ext.replace(/-/g, '');
  const modName = ext === 'zend-opcache' ? 'opcache' : ext.replace(/-/g, '_');
  return `install php${minor}-${pkg} (or enable it: phpenmod ${modName})${reload}`;
}

function listRequirers(froms: readonly string[], max = 3): string {
  const unique = [...new Set(froms)];
  const shown = unique.slice(0, max).join(', ');
  return unique.length > max ? `${shown} and ${unique.length - max} more` : shown;
}

// ---- PHP version ----------------------------------------------------------------------------

/** Candidate PHP versions to suggest: every x.y.z of the PHP majors, patches 0..99. */
const CANDIDATE_MINORS: [number, number][] = [
  ...[0, 1, 2, 3, 4, 5, 6].map((m): [number, number] => [5, m]),
  ...[0, 1, 2, 3, 4].map((m): [number, number] => [7, m]),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m): [number, number] => [8, m]),
  ...[0, 1, 2, 3, 4].map((m): [number, number] => [9, m]),
];
let candidates: string[] | undefined;
function candidateVersions(): string[] {
  candidates ??= CANDIDATE_MINORS.flatMap(([ma, mi]) => Array.from({ length: 100 }, (_, p) => `${ma}.${mi}.${p}.0`));
  return candidates;
}

/** Short display form of a normalized candidate: "8.2" when x.y.0, else "8.2.5". */
function display(normalized: string, keepPatch: boolean): string {
  const [ma, mi, p] = normalized.split('.');
  return keepPatch || p !== '0' ? `${ma}.${mi}.${p}` : `${ma}.${mi}`;
}

interface ParsedReq {
  req: Requirement;
  c: Constraint;
}

/** The nearest candidate above (or below) `runtime` that satisfies all `reqs`. */
function nearest(reqs: readonly ParsedReq[], runtime: string, dir: 1 | -1): string | undefined {
  const list = dir === 1 ? candidateVersions() : [...candidateVersions()].reverse();
  return list.find((v) => compareVersions(v, runtime) * dir > 0 && reqs.every((r) => constraintMatches(r.c, v)));
}

function checkPhpVersion(parsed: ParsedReq[], runtime: PhpRuntime, rt: string, where: string, overrides: Record<string, string>): Check | undefined {
  const failing = parsed.filter((r) => !constraintMatches(r.c, rt));
  if (failing.length === 0) return undefined;
  const up = nearest(parsed, rt, 1);
  const down = up ? undefined : nearest(parsed, rt, -1);
  const dir: 1 | -1 = up || !down ? 1 : -1;
  // The strictest requirer: the failing one whose own nearest acceptable version is farthest away.
  let strictest = failing[0]!;
  let strictestAt: string | undefined = nearest([strictest], rt, dir);
  for (const r of failing.slice(1)) {
    const at = nearest([r], rt, dir);
    if (strictestAt === undefined) break;
    const farther = at === undefined || compareVersions(at, strictestAt) * dir > 0;
    // On a tie, name a package rather than the root requirement: it says why.
    const tie = at !== undefined && compareVersions(at, strictestAt) === 0 && strictest.req.from === ROOT_REQUIRER;
    if (farther || tie) {
      strictest = r;
      strictestAt = at;
    }
  }
  const others = failing.filter((r) => r.req.from !== strictest.req.from).map((r) => r.req.from);
  const more = others.length > 0 ? ` and ${new Set(others).size} more` : '';
  const from = strictest.req.from;
  const found = `${where} runs PHP ${runtime.php.trim()}`;
  const needs = `composer.lock requires php ${strictest.req.constraint} (from ${from}${more})`;
  const minor = phpMinor(rt);
  const target = up ?? down;
  const message = (() => {
    if (!target) {
      return `${found} but no PHP version satisfies every php requirement in composer.lock, e.g. php ${strictest.req.constraint} (from ${from}${more}); run composer update to get a consistent composer.lock`;
    }
    const sameMinor = phpMinor(target) === minor;
    const sugg = dir === -1 && !sameMinor ? phpMinor(target) : display(target, sameMinor);
    if (dir === 1) {
      const pinned = overrides['php'];
      const pin = pinned
        ? `fix the pinned platform (composer.json config.platform.php is ${pinned}; set it to ${display(rt, true)}) and run composer update`
        : `pin the platform to the server's PHP (composer config platform.php ${display(rt, true)}, then composer update) so Composer picks versions that run on it`;
      return `${found} but ${needs}; install PHP ${sugg} for the ${where} or ${pin}`;
    }
    const update = from === ROOT_REQUIRER
      ? "widen the php requirement in composer.json and run composer update"
      : `update ${from} to a release that supports PHP ${minor} (composer update ${from} --with-all-dependencies)`;
    return `${found} but ${needs}; run the ${where} on PHP ${sugg} or ${update}`;
  })();
  return { id: 'platform-php', severity: 'error', message };
}

/**
 * Checks the requirements against one runtime. `where` names it in messages ('php-fpm pool',
 * 'php CLI'). `overrides` are composer.lock's platform-overrides (see platformOverrides): reported
 * as info, and named in the fix when the PHP version fails. Extension versions are not checked
 * (the runtime reports names only); a constraint Composer could not parse gives a warning.
 */
export function checkPlatform(
  reqs: readonly Requirement[],
  runtime: PhpRuntime,
  where: string,
  opts: { overrides?: Record<string, string> } = {},
): Check[] {
  const checks: Check[] = [];
  const overrides = opts.overrides ?? {};
  const rt = normalizePhpVersion(runtime.php);

  const overridden = Object.entries(overrides);
  if (overridden.length > 0) {
    const list = overridden.map(([n, v]) => `${n} ${v}`).join(', ');
    checks.push({
      id: 'platform-override',
      severity: 'info',
      message: `composer.lock was resolved for a pretended platform (config.platform: ${list}) while the ${where} runs PHP ${runtime.php.trim()}; keep config.platform.php equal to the servers' PHP`,
    });
  }

  const parsed: ParsedReq[] = [];
  for (const req of reqs.filter((r) => r.name === 'php')) {
    try {
      parsed.push({ req, c: parseConstraint(req.constraint) });
    } catch (err) {
      const why = err instanceof DeployError ? err.message : String(err);
      checks.push({ id: 'platform-constraint', severity: 'warning', message: `${why} (php, from ${req.from}); it was not checked against the ${where}` });
    }
  }
  const php = checkPhpVersion(parsed, runtime, rt, where, overrides);
  if (php) checks.push(php);

  const extReqs = reqs.filter((r) => r.name !== 'php');
  let extProblems = 0;
  if (extReqs.length > 0 && runtime.extensions.length === 0) {
    extProblems++;
    checks.push({ id: 'platform-ext', severity: 'warning', message: `the ${where} reported no loaded extensions, so ${extReqs.length} ext-* requirements were not checked` });
  } else {
    const loaded = new Set(runtime.extensions.map(normalizeExtension));
    for (const [ext, since] of ALWAYS_LOADED) if (compareVersions(rt, normalizeVersion(since)) >= 0) loaded.add(ext);
    const missing = new Map<string, { name: string; froms: string[] }>();
    for (const r of extReqs) {
      const ext = normalizeExtension(r.name);
      if (loaded.has(ext)) continue;
      const m = missing.get(ext) ?? { name: r.name, froms: [] };
      m.froms.push(r.from);
      missing.set(ext, m);
    }
    for (const [ext, m] of missing) {
      checks.push({
        id: 'platform-ext',
        severity: 'error',
        message: `${where} lacks ${m.name} (required by ${listRequirers(m.froms)}); ${missingExtensionFix(ext, phpMinor(rt), where)}`,
      });
    }
    extProblems = missing.size;
  }

  if (!php && extProblems === 0) {
    const exts = new Set(extReqs.map((r) => normalizeExtension(r.name))).size;
    checks.push({
      id: 'platform-ok',
      severity: 'info',
      message: `${where} runs PHP ${runtime.php.trim()}: meets ${parsed.length} php requirement${parsed.length === 1 ? '' : 's'} and has all ${exts} required extension${exts === 1 ? '' : 's'}`,
    });
  }
  return checks;
}
