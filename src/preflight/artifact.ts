/**
 * Local checks of the artifact before anything moves: symlinks that would point nowhere on the
 * server, vendor/ out of step with composer.lock, secrets that should never ship, and totals.
 * Pure logic over the scan's manifest entries plus a few small reads of the source tree.
 */
import { open, readFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { ManifestEntry } from '../pack/manifest.js';
import type { Check } from './types.js';

/** True when `path` is a shared path or inside one. */
function underAny(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

function cleanShared(shared: readonly string[]): string[] {
  return shared.map((p) => p.replace(/^\/+/, '').replace(/\/+$/, '')).filter((p) => p !== '');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** Reads a file of the source tree (at most `max` bytes), or undefined when it cannot be read. */
async function readHead(sourceDir: string, rel: string, max = 64 * 1024): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(join(sourceDir, rel), 'r');
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

async function readJson(sourceDir: string, rel: string): Promise<{ value?: unknown; error?: string; missing?: boolean }> {
  let text: string;
  try {
    text = await readFile(join(sourceDir, rel), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true } : { error: code ?? String(err) };
  }
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    return { error: `not valid JSON: ${(err as Error).message}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- symlinks -------------------------------------------------------------------------------

type Resolution = { kind: 'found' } | { kind: 'shared' } | { kind: 'missing'; at: string } | { kind: 'outside' } | { kind: 'loop' };

/**
 * Follows `rel` (normalized, inside the release) through the release's own symlinks, as the server
 * will: a prefix that is a symlink is replaced by its target. A path under a shared path counts as
 * present (the server links it in).
 */
function resolveInRelease(rel: string, byPath: ReadonlyMap<string, ManifestEntry>, shared: readonly string[]): Resolution {
  let path = rel;
  for (let hops = 0; hops < 40; hops++) {
    if (path === '.' || path === '') return { kind: 'found' };
    if (path === '..' || path.startsWith('../') || path.startsWith('/')) return { kind: 'outside' };
    const parts = path.split('/');
    let followed = false;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (underAny(prefix, shared)) return { kind: 'shared' };
      const e = byPath.get(prefix);
      if (!e) return { kind: 'missing', at: prefix };
      if (e.type === 'l') {
        const target = e.linkTarget ?? '';
        if (posix.isAbsolute(target)) return { kind: 'outside' };
        const rest = parts.slice(i).join('/');
        path = posix.normalize(posix.join(posix.dirname(prefix), target, rest)).replace(/(.)\/+$/, '$1');
        followed = true;
        break;
      }
      if (e.type === 'f' && i < parts.length) return { kind: 'missing', at: parts.slice(0, i + 1).join('/') };
    }
    if (!followed) return { kind: 'found' };
  }
  return { kind: 'loop' };
}

function checkSymlinks(sourceDir: string, entries: readonly ManifestEntry[], shared: readonly string[], isLaravel: boolean): Check[] {
  const checks: Check[] = [];
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const absSource = resolve(sourceDir);
  for (const e of entries) {
    if (e.type !== 'l') continue;
    const target = e.linkTarget ?? '';
    const shown = `${e.path} -> ${target}`;
    const linkDir = posix.dirname(e.path);
    const artisanHint = isLaravel && /(^|\/)public\/storage$/.test(e.path) ? ' (php artisan storage:link)' : '';
    if (posix.isAbsolute(target)) {
      // Inside the source tree: offer the relative equivalent.
      const inTree = relative(absSource, target);
      const within = inTree !== '' && !inTree.startsWith('..') && !isAbsolute(inTree);
      const where = within
        ? `it would point into the build directory (${absSource}) on the server`
        : /^\/(home\/runner|github\/workspace|builds|tmp|Users)\//.test(target)
          ? 'it would point into the CI runner on the server'
          : 'it only works on a server that has exactly that path';
      const fix = within
        ? `make it relative (ln -sfn ${posix.relative(linkDir, inTree.split(sep).join('/')) || '.'} ${e.path}, or ln -sr)`
        : 'make it relative (ln -sr)';
      checks.push({
        id: 'symlink-absolute',
        severity: 'error',
        path: e.path,
        message: `${shown} is absolute: ${where}; ${fix} or create it on the server in before-switch${artisanHint}`,
      });
      continue;
    }
    const lexical = posix.normalize(posix.join(linkDir, target)).replace(/(.)\/+$/, '$1');
    if (lexical === '..' || lexical.startsWith('../')) {
      checks.push({
        id: 'symlink-escapes',
        severity: 'error',
        path: e.path,
        message: `${shown} leaves the release directory: releases are separate directories, so it would point outside the deployed release; point it inside the release, declare the path in shared, or create it on the server in before-switch${artisanHint}`,
      });
      continue;
    }
    const r = resolveInRelease(lexical, byPath, shared);
    if (r.kind === 'missing') {
      checks.push({
        id: 'symlink-dangling',
        severity: 'warning',
        path: e.path,
        message: `${shown}: ${r.at} is not in the release (missing or excluded), so the link would dangle on the server; ship the target, add it to shared, or create it in before-switch${artisanHint}`,
      });
    } else if (r.kind === 'loop') {
      checks.push({ id: 'symlink-dangling', severity: 'warning', path: e.path, message: `${shown}: the links loop, so it resolves to nothing; fix or remove the link` });
    } else if (r.kind === 'outside') {
      checks.push({
        id: 'symlink-escapes',
        severity: 'error',
        path: e.path,
        message: `${shown} leaves the release directory through another symlink, so it would point outside the deployed release; point it inside the release or declare the path in shared`,
      });
    }
  }
  return checks;
}

// ---- composer -------------------------------------------------------------------------------

interface PkgRef {
  name: string;
  version: string;
  reference?: string;
}

function pkgRefs(v: unknown): PkgRef[] {
  if (!Array.isArray(v)) return [];
  const out: PkgRef[] = [];
  for (const p of v) {
    if (!isObject(p) || typeof p['name'] !== 'string') continue;
    const version = typeof p['version'] === 'string' ? p['version'] : '?';
    const dist = isObject(p['dist']) ? p['dist'] : {};
    const source = isObject(p['source']) ? p['source'] : {};
    const ref = dist['reference'] ?? source['reference'];
    out.push({ name: p['name'].toLowerCase(), version, reference: typeof ref === 'string' ? ref : undefined });
  }
  return out;
}

const isDevVersion = (v: string): boolean => v.startsWith('dev-') || v.endsWith('-dev');
const sameVersion = (a: PkgRef, b: PkgRef): boolean =>
  a.version.replace(/^v/i, '') === b.version.replace(/^v/i, '') &&
  (!isDevVersion(a.version) || a.reference === undefined || b.reference === undefined || a.reference === b.reference);
const showVersion = (p: PkgRef): string => (isDevVersion(p.version) && p.reference ? `${p.version}#${p.reference.slice(0, 7)}` : p.version);

async function checkComposer(sourceDir: string, entries: readonly ManifestEntry[], shared: readonly string[], byPath: ReadonlyMap<string, ManifestEntry>): Promise<{ checks: Check[]; vendorDir: string; lockNames: Set<string> }> {
  const checks: Check[] = [];
  const lockNames = new Set<string>();
  const json = await readJson(sourceDir, 'composer.json');
  let vendorDir = 'vendor';
  if (json.missing) return { checks, vendorDir, lockNames };
  if (json.error !== undefined || !isObject(json.value)) {
    checks.push({ id: 'composer-json', severity: 'error', path: 'composer.json', message: `composer.json cannot be read (${json.error ?? 'not a JSON object'}); fix it and run composer validate` });
    return { checks, vendorDir, lockNames };
  }
  const config = isObject(json.value['config']) ? json.value['config'] : {};
  if (typeof config['vendor-dir'] === 'string') vendorDir = posix.normalize(config['vendor-dir'].replace(/\/+$/, ''));
  const vendorOk = !posix.isAbsolute(vendorDir) && vendorDir !== '..' && !vendorDir.startsWith('../') && vendorDir !== '.';

  const lock = await readJson(sourceDir, 'composer.lock');
  if (lock.missing) {
    checks.push({
      id: 'composer-lock-missing',
      severity: 'error',
      path: 'composer.lock',
      message: 'composer.json has no composer.lock next to it, so the deployed dependency versions are whatever resolved in CI that day; commit composer.lock (composer update --lock) and build with composer install --no-dev',
    });
    return { checks, vendorDir, lockNames };
  }
  if (lock.error !== undefined || !isObject(lock.value)) {
    checks.push({ id: 'composer-lock-invalid', severity: 'error', path: 'composer.lock', message: `composer.lock cannot be read (${lock.error ?? 'not a JSON object'}); regenerate it with composer update --lock` });
    return { checks, vendorDir, lockNames };
  }
  const locked = pkgRefs(lock.value['packages']);
  const lockedDev = pkgRefs(lock.value['packages-dev']);
  for (const p of [...locked, ...lockedDev]) lockNames.add(p.name);
  if (!vendorOk || underAny(vendorDir, shared)) return { checks, vendorDir, lockNames };

  const vendorShipped = byPath.get(vendorDir)?.type === 'd' || entries.some((e) => e.path.startsWith(`${vendorDir}/`));
  if (!vendorShipped) {
    if (locked.length > 0) {
      checks.push({
        id: 'vendor-missing',
        severity: 'error',
        path: vendorDir,
        message: `${vendorDir}/ is not in the release but composer.lock lists ${plural(locked.length, 'package')}; run composer install --no-dev before deploying (and do not exclude ${vendorDir}/)`,
      });
    }
    return { checks, vendorDir, lockNames };
  }

  const installedPath = `${vendorDir}/composer/installed.json`;
  if (!byPath.has(`${vendorDir}/autoload.php`)) {
    checks.push({
      id: 'vendor-incomplete',
      severity: 'error',
      path: `${vendorDir}/autoload.php`,
      message: `${vendorDir}/autoload.php is not in the release, so the app cannot load its classes; run composer install --no-dev (or composer dump-autoload) before deploying`,
    });
  }
  if (!byPath.has(installedPath)) {
    checks.push({
      id: 'vendor-incomplete',
      severity: 'error',
      path: installedPath,
      message: `${installedPath} is not in the release, so ${vendorDir}/ was not built by Composer or is incomplete; run composer install --no-dev before deploying`,
    });
    return { checks, vendorDir, lockNames };
  }
  const installed = await readJson(sourceDir, installedPath);
  if (installed.error !== undefined || installed.missing || (!Array.isArray(installed.value) && !isObject(installed.value))) {
    checks.push({ id: 'vendor-incomplete', severity: 'error', path: installedPath, message: `${installedPath} cannot be read (${installed.error ?? 'unexpected format'}); run composer install --no-dev` });
    return { checks, vendorDir, lockNames };
  }
  checks.push(...compareVendor(installed.value, locked, lockedDev, vendorDir));
  return { checks, vendorDir, lockNames };
}

/** vendor/composer/installed.json against composer.lock: versions that differ, dev packages shipped. */
function compareVendor(v: unknown[] | Record<string, unknown>, locked: PkgRef[], lockedDev: PkgRef[], vendorDir: string): Check[] {
  const checks: Check[] = [];
  // Composer 2: {packages, dev, dev-package-names}; Composer 1: a plain array without a dev flag.
  const inVendor = pkgRefs(Array.isArray(v) ? v : v['packages']);
  const devNames = new Set(lockedDev.map((p) => p.name));
  let dev: boolean;
  if (!Array.isArray(v) && typeof v['dev'] === 'boolean') dev = v['dev'];
  else dev = inVendor.some((p) => devNames.has(p.name));

  const expected = new Map<string, PkgRef>();
  for (const p of dev ? [...locked, ...lockedDev] : locked) expected.set(p.name, p);
  const actual = new Map(inVendor.map((p) => [p.name, p]));
  const diffs: string[] = [];
  for (const name of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const want = expected.get(name);
    const have = actual.get(name);
    if (want && have && sameVersion(want, have)) continue;
    if (want && have) diffs.push(`${name} ${showVersion(have)} in vendor, ${showVersion(want)} in composer.lock`);
    else if (want) diffs.push(`${name} missing from vendor, ${showVersion(want)} in composer.lock`);
    else if (have) diffs.push(`${name} ${showVersion(have)} in vendor, not in composer.lock${devNames.has(name) ? ' (dev package)' : ''}`);
  }
  if (diffs.length > 0) {
    const shown = diffs.slice(0, 3).join('; ');
    const more = diffs.length > 3 ? `; and ${diffs.length - 3} more` : '';
    checks.push({
      id: 'vendor-mismatch',
      severity: 'error',
      path: vendorDir,
      message: `${vendorDir}/ does not match composer.lock: ${shown}${more}; run composer install --no-dev before deploying`,
    });
  }
  const devInstalled = inVendor.filter((p) => devNames.has(p.name)).length;
  if (dev && devInstalled > 0) {
    checks.push({
      id: 'vendor-dev-packages',
      severity: 'warning',
      path: vendorDir,
      message: `${vendorDir}/ holds ${plural(devInstalled, 'dev package')} (installed without --no-dev), so test and debug tools would ship to production; run composer install --no-dev`,
    });
  }
  return checks;
}

// ---- files that should never ship -------------------------------------------------------------

interface ForbiddenContext {
  /** Symfony's dotenv conventions apply: .env and .env.<env> hold committed defaults. */
  symfony: boolean;
}

interface ForbiddenRule {
  id: string;
  severity: 'error' | 'warning';
  /** Matches on the release path and its base name. */
  match: (path: string, base: string, ctx: ForbiddenContext) => boolean;
  /** When set, the file's first 64 KiB must also match. */
  content?: RegExp;
  message: (path: string) => string;
}

const ENV_TEMPLATES = /^\.env\.(example|dist|sample|template|defaults)$/;

/** What must not ship, in one table. Paths under vendor/ and node_modules/ are not examined (third-party fixtures). */
export const FORBIDDEN: readonly ForbiddenRule[] = [
  {
    id: 'secret-env',
    severity: 'error',
    match: (_p, base, ctx) => {
      if (base !== '.env' && !base.startsWith('.env.')) return false;
      if (ENV_TEMPLATES.test(base) || base === '.env.testing') return false;
      // Symfony commits .env / .env.<env> as defaults; .env.local* hold the machine's secrets.
      if (ctx.symfony) return base === '.env.local' || /^\.env\.[^.]+\.local$/.test(base);
      return true;
    },
    message: (p) =>
      `${p} would ship with the release: it holds this environment's settings and secrets and would override the server's; add ${p} to shared (and keep it in shared/ on the server) or exclude it`,
  },
  {
    id: 'secret-env',
    severity: 'warning',
    match: (_p, base) => base === '.env.testing',
    message: (p) => `${p} would ship with the release: test settings have no use on a server and may hold credentials; exclude it`,
  },
  {
    id: 'secret-auth-json',
    severity: 'error',
    match: (p) => p === 'auth.json' || p === '.composer/auth.json' || p.endsWith('/.composer/auth.json'),
    message: (p) =>
      `${p} would ship with the release: it holds Composer credentials (tokens for private repositories); delete it after composer install or exclude it (in CI pass COMPOSER_AUTH instead)`,
  },
  {
    id: 'secret-auth-json',
    severity: 'error',
    match: (p, base) => base === 'auth.json', // the rule above took the Composer locations
    content: /"(http-basic|github-oauth|gitlab-oauth|gitlab-token|bitbucket-oauth|bearer)"\s*:/,
    message: (p) => `${p} would ship with the release: it holds Composer credentials; exclude it (in CI pass COMPOSER_AUTH instead)`,
  },
  {
    id: 'secret-git-credentials',
    severity: 'error',
    match: (_p, base) => base === '.git-credentials',
    message: (p) => `${p} would ship with the release: it holds git passwords or tokens; exclude it`,
  },
  {
    id: 'secret-private-key',
    severity: 'warning',
    match: (_p, base) => /^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(base) || /\.(ppk|p12|pfx)$/i.test(base),
    message: (p) => `${p} looks like a private key and would ship with the release; exclude it, or if the app needs it keep it on the server via shared`,
  },
  {
    id: 'secret-private-key',
    severity: 'warning',
    match: (_p, base) => /\.(pem|key)$/i.test(base),
    content: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
    message: (p) =>
      `${p} holds a private key and would ship with the release; if the app needs it (e.g. Passport's oauth-private.key) keep it on the server via shared or an environment variable, otherwise exclude it`,
  },
  {
    id: 'secret-npmrc',
    severity: 'warning',
    match: (_p, base) => base === '.npmrc',
    content: /(_authToken|_auth|_password)\s*=/,
    message: (p) => `${p} holds an npm registry token and would ship with the release; exclude it (in CI use NODE_AUTH_TOKEN)`,
  },
];

async function checkForbidden(sourceDir: string, entries: readonly ManifestEntry[], ctx: ForbiddenContext, skipDirs: readonly string[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const e of entries) {
    if (e.type !== 'f') continue;
    if (underAny(e.path, skipDirs) || /(^|\/)node_modules\//.test(e.path)) continue;
    const base = posix.basename(e.path);
    let head: string | undefined;
    for (const rule of FORBIDDEN) {
      if (!rule.match(e.path, base, ctx)) continue;
      if (rule.content) {
        head ??= (await readHead(sourceDir, e.path)) ?? '';
        if (!rule.content.test(head)) continue;
      }
      checks.push({ id: rule.id, severity: rule.severity, path: e.path, message: rule.message(e.path) });
      break;
    }
  }
  return checks;
}

/**
 * The same secret rules applied to files that would seed a new shared path on the server (e.g. a
 * `.env` in the CI tree): every file a rule flags, error or warning. Vendor paths are not skipped.
 */
export function secretFindings(sourceDir: string, entries: readonly ManifestEntry[]): Promise<Check[]> {
  return checkForbidden(sourceDir, entries, { symfony: false }, []);
}

// ---- totals ---------------------------------------------------------------------------------

function totals(entries: readonly ManifestEntry[]): Check {
  let files = 0;
  let dirs = 0;
  let links = 0;
  let bytes = 0;
  const largest: ManifestEntry[] = [];
  for (const e of entries) {
    if (e.type === 'd') dirs++;
    else if (e.type === 'l') links++;
    else {
      files++;
      bytes += e.size;
      largest.push(e);
      largest.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
      if (largest.length > 3) largest.pop();
    }
  }
  const top = largest.length > 0 ? `; largest: ${largest.map((e) => `${e.path} (${formatBytes(e.size)})`).join(', ')}` : '';
  return {
    id: 'artifact-totals',
    severity: 'info',
    message: `release holds ${plural(files, 'file')} (${formatBytes(bytes)}), ${plural(dirs, 'directory').replace(/directorys$/, 'directories')}, ${plural(links, 'symlink')}${top}`,
  };
}

// ---- entry point ----------------------------------------------------------------------------

/**
 * Checks the release that `entries` (the scan of `sourceDir`) describe. `shared` are the release
 * paths kept on the server (the `shared` input): entries under them are ignored (they are excluded
 * from the release anyway) and symlinks into them count as resolved.
 */
export async function checkArtifact(sourceDir: string, entries: readonly ManifestEntry[], shared: readonly string[] = []): Promise<Check[]> {
  const sharedPaths = cleanShared(shared);
  const release = entries.filter((e) => !underAny(e.path, sharedPaths));
  const byPath = new Map(release.map((e) => [e.path, e]));

  const composer = await checkComposer(sourceDir, release, sharedPaths, byPath);
  const isLaravel = byPath.has('artisan') || composer.lockNames.has('laravel/framework');
  const symfony = !isLaravel && composer.lockNames.has('symfony/dotenv');

  return [
    ...checkSymlinks(sourceDir, release, sharedPaths, isLaravel),
    ...composer.checks,
    ...(await checkForbidden(sourceDir, release, { symfony }, [composer.vendorDir])),
    totals(release),
  ];
}
