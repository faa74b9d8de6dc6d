/**
 * Which files of a release are migrations, found by what they are and not only by where the
 * skeletons put them:
 *
 * - the default folders (DEFAULT_MIGRATION_GLOBS);
 * - the folders the project's own configuration names: Doctrine's `migrations_paths` (and the old
 *   `dir_name`) in `config/packages/**\/doctrine_migrations.{yaml,yml,php}` or `app/config/config.yml`,
 *   and composer.json `autoload` PSR-4 namespaces with `Migrations` in them;
 * - PHP classes that extend Doctrine's `AbstractMigration` or Laravel's `Migration` (or a project base
 *   class named `…Migration` that does) in any folder whose name says migrations (bundles, modules,
 *   `app/DoctrineMigrations`, …);
 * - plain SQL per database driver: `SQL/mysql/*.sql`, `sql/pgsql/migrations/*.sql`, `db/postgres/…`.
 *
 * Pure: it reads files only through the `read` function it is given. It says where migrations were
 * found and which candidates were skipped and why, for the preflight log.
 */
import { DEFAULT_MIGRATION_GLOBS, globToRegExp, sortMigrationPaths } from './glob.js';

export interface FoundGroup {
  /** The folder, relative (`.` for the root). */
  dir: string;
  /** How the files were recognised, e.g. `Laravel migrations (base class Migration)`. */
  how: string;
  files: string[];
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface Discovery {
  /** Every migration, in run order (see sortMigrationPaths). */
  files: string[];
  /** The folders they are in and how they were recognised. */
  groups: FoundGroup[];
  /** Candidates that are not scanned, with why (grouped per folder when many). */
  skipped: Skipped[];
  /** The migration sequence a file belongs to (per-driver SQL folders are separate sequences). */
  sequence: Map<string, string>;
}

export interface DiscoverOptions {
  /** Globs the user configured (`migrations-path`): only these are used, nothing is guessed. */
  globs?: readonly string[];
}

type Read = (path: string) => string | undefined;

const DRIVERS = /^(?:mysql|mysqli|mariadb|pgsql|postgres|postgresql|pg|sqlite|sqlite3|mssql|sqlsrv|oracle|oci|oci8)$/i;
const SQL_ROOTS = /^(?:sql|db|database|databases|schema|schemas|install|installer|setup|upgrade|upgrades|migrations?)$/i;
const MIGRATION_DIR = /^(?:migrations?|doctrinemigrations|upgrades?|updates?|patch(?:es)?|deltas?|changes?)$/i;
const MIGRATION_DIR_LOOSE = /migration/i;
/** Whole-schema, seed and dump files that sit next to migrations but are not ones. */
const NOT_A_MIGRATION_SQL = /(?:^|[._-])(?:initial|install|schema|structure|seed|seeds|dump|base|baseline|drop|data|sample|demo|test)(?:[._-]|$)/i;
/** Where third-party or test code lives: never a migration of this application. */
const EXCLUDED = [
  { re: /(?:^|\/)vendor\//, reason: 'third-party package (vendor/)' },
  { re: /(?:^|\/)node_modules\//, reason: 'third-party package (node_modules/)' },
  { re: /(?:^|\/)(?:tests?|spec|fixtures?|Tests)\//, reason: 'test code' },
  { re: /(?:^|\/)var\/cache\//, reason: 'cache' },
];

const DOCTRINE_BASES = /^(?:Doctrine\\Migrations\\AbstractMigration|Doctrine\\DBAL\\Migrations\\AbstractMigration)$/;
const LARAVEL_BASES = /^Illuminate\\Database\\Migrations\\Migration$/;

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : p.slice(0, i);
}

function excluded(p: string): string | undefined {
  return EXCLUDED.find((e) => e.re.test(p))?.reason;
}

/** Resolves `..` and `.` segments; undefined when the path leaves the root. */
function normalize(p: string): string | undefined {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** `%kernel.project_dir%/src/Migrations`, `__DIR__.'/../../migrations'` → a folder relative to the release root. */
function resolveConfigPath(raw: string, configFile: string): string | undefined {
  let p = raw.trim();
  const fromDir = p.startsWith('__DIR__.');
  p = p.replace(/^__DIR__\./, '').replace(/^['"]|['"]$/g, '');
  if (fromDir) return normalize(`${dirOf(configFile)}/${p}`);
  const legacy = configFile.startsWith('app/');
  p = p.replace(/%kernel\.project_dir%/g, '').replace(/%kernel\.root_dir%/g, legacy ? 'app' : 'src');
  if (/[%$]/.test(p)) return undefined;
  return normalize(p);
}

/** Doctrine Migrations folders named by the project's configuration. */
function configuredDoctrineDirs(paths: readonly string[], read: Read): { dir: string; file: string }[] {
  const configs = paths.filter(
    (p) => /^config\/packages\/(?:[^/]+\/)?doctrine_migrations\.(?:ya?ml|php)$/.test(p) || /^app\/config\/config(?:_[a-z]+)?\.ya?ml$/.test(p),
  );
  const out: { dir: string; file: string }[] = [];
  for (const file of configs) {
    const text = read(file);
    if (text === undefined) continue;
    const values: string[] = [];
    if (file.endsWith('.php')) {
      const block = /['"]migrations_paths['"]\s*=>\s*\[([\s\S]*?)\]/.exec(text)?.[1] ?? '';
      for (const m of block.matchAll(/=>\s*((?:__DIR__\s*\.\s*)?['"][^'"]+['"])/g)) values.push(m[1]!.replace(/^__DIR__\s*\.\s*/, '__DIR__.'));
    } else {
      values.push(...yamlMigrationPaths(text));
    }
    for (const v of values) {
      const dir = resolveConfigPath(v, file);
      if (dir !== undefined) out.push({ dir, file });
    }
  }
  return out;
}

/** The values under `migrations_paths:` and of `dir_name:` in a YAML file (no YAML library: the shape is fixed). */
function yamlMigrationPaths(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+#.*$/, '');
    const dirName = /^\s*dir_name\s*:\s*(.+?)\s*$/.exec(line);
    if (dirName) out.push(dirName[1]!);
    const head = /^(\s*)migrations_paths\s*:\s*(.*)$/.exec(line);
    if (!head) continue;
    const inline = head[2]!.trim();
    if (inline.startsWith('{')) {
      for (const m of inline.matchAll(/:\s*(['"][^'"]+['"]|[^,}\s]+)/g)) out.push(m[1]!);
      continue;
    }
    const indent = head[1]!.length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!.replace(/\s+#.*$/, '');
      if (l.trim() === '') continue;
      if ((/^(\s*)/.exec(l)?.[1]?.length ?? 0) <= indent) break;
      const kv = /^\s*(?:'[^']*'|"[^"]*"|[^:]+)\s*:\s*(.+?)\s*$/.exec(l);
      if (kv) out.push(kv[1]!);
    }
  }
  return out;
}

/** composer.json `autoload` (not `autoload-dev`) PSR-4/PSR-0 namespaces with `Migrations` in them → folders. */
function composerMigrationDirs(read: Read): { dir: string; ns: string }[] {
  const text = read('composer.json');
  if (text === undefined) return [];
  let json: { autoload?: Record<string, unknown> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return [];
  }
  const out: { dir: string; ns: string }[] = [];
  for (const kind of ['psr-4', 'psr-0']) {
    const map = json.autoload?.[kind];
    if (!map || typeof map !== 'object') continue;
    for (const [ns, dirs] of Object.entries(map as Record<string, unknown>)) {
      if (!/migrations?/i.test(ns)) continue;
      for (const d of Array.isArray(dirs) ? dirs : [dirs]) {
        if (typeof d !== 'string') continue;
        const dir = d.replace(/^\.?\//, '').replace(/\/+$/, '');
        if (!dir.startsWith('..')) out.push({ dir: dir === '' ? '.' : dir, ns: ns.replace(/\\+$/, '') });
      }
    }
  }
  return out;
}

export interface ClassInfo {
  /** `doctrine`, `laravel`, or `project` (extends a project class named …Migration). */
  kind?: 'doctrine' | 'laravel' | 'project';
  /** The base class as written. */
  base?: string;
  /** Why the file is not a migration class. */
  not?: string;
}

/** Whether a PHP file is a migration class, by what it extends. */
export function migrationClass(text: string): ClassInfo {
  const code = text.replace(/\/\*[\s\S]*?\*\/|(?:\/\/|#(?!\[)).*$/gm, '');
  const uses = new Map<string, string>();
  for (const m of code.matchAll(/^\s*use\s+\\?([\w\\]+)(?:\s+as\s+(\w+))?\s*;/gm)) {
    const fq = m[1]!;
    uses.set((m[2] ?? fq.slice(fq.lastIndexOf('\\') + 1)).toLowerCase(), fq);
  }
  const ext = /\b(abstract\s+)?(?:final\s+|readonly\s+)*class\b[^{;]*?\bextends\s+\\?([\w\\]+)/.exec(code);
  if (!ext) return { not: 'no class that extends a migration base class' };
  const written = ext[2]!;
  const short = written.slice(written.lastIndexOf('\\') + 1);
  const fq = written.includes('\\') ? written : (uses.get(short.toLowerCase()) ?? written);
  if (ext[1]) return { not: `abstract base class (extends ${short})` };
  if (DOCTRINE_BASES.test(fq)) return { kind: 'doctrine', base: short };
  if (LARAVEL_BASES.test(fq)) return { kind: 'laravel', base: short };
  const hasUp = /function\s+(?:(?:pre|post|safe)?up|change)\s*\(/i.test(code);
  if (/Migration$/i.test(short) && hasUp) return { kind: 'project', base: short };
  if (/Migration$/i.test(short)) return { not: `extends ${short} but has no up() method` };
  return { not: `extends ${short}, not a migration base class` };
}

function describeKind(kinds: Set<string>, bases: Set<string>): string {
  const what = [...kinds].map((k) => (k === 'doctrine' ? 'Doctrine' : k === 'laravel' ? 'Laravel' : 'project')).join('/');
  return `${what} migration classes (extend ${[...bases].join(', ')})`;
}

/**
 * The migrations of a release. `paths` are the release's regular files (relative, `/`-separated);
 * `read` returns a file's text (undefined when it cannot be read).
 */
export function discoverMigrations(paths: readonly string[], read: Read, opts: DiscoverOptions = {}): Discovery {
  const d = new Discoverer(paths, read);
  if (opts.globs) d.byGlobs(opts.globs, 'migrations-path');
  else {
    d.byConfig();
    d.byGlobs(DEFAULT_MIGRATION_GLOBS, 'default folder');
    d.byBaseClass();
    d.byDriverFolders();
  }
  return d.result();
}

class Discoverer {
  private readonly found = new Map<string, { how: string; seq: string }>();
  private readonly skipped = new Map<string, string>();
  private readonly classCache = new Map<string, ClassInfo>();
  private readonly configured: { dir: string; how: string }[] = [];

  constructor(
    private readonly paths: readonly string[],
    private readonly read: Read,
  ) {}

  private classOf(p: string): ClassInfo {
    let c = this.classCache.get(p);
    if (!c) {
      const text = this.read(p);
      c = text === undefined ? { not: 'cannot be read' } : migrationClass(text);
      this.classCache.set(p, c);
    }
    return c;
  }

  private add(p: string, how: string, seq = ''): void {
    if (!this.found.has(p)) this.found.set(p, { how, seq });
    this.skipped.delete(p);
  }

  private skip(p: string, reason: string): void {
    if (!this.found.has(p) && !this.skipped.has(p)) this.skipped.set(p, reason);
  }

  /**
   * A file in a folder that holds migrations (by default or by configuration): added unless it is
   * third-party or test code, or an abstract base class. A PHP file there that is no migration
   * class is still scanned (procedural upgrade scripts run SQL too).
   */
  private consider(p: string, how: string, seq = ''): void {
    const ex = excluded(p);
    if (ex) return this.skip(p, ex);
    if (/\.sql$/i.test(p)) return this.add(p, how, seq);
    if (!/\.php$/i.test(p)) return;
    const c = this.classOf(p);
    if (c.not?.startsWith('abstract')) this.skip(p, c.not);
    else this.add(p, how, seq);
  }

  byGlobs(globs: readonly string[], how: string): void {
    const res = globs.map(globToRegExp);
    const explicit = how === 'migrations-path';
    for (const p of this.paths) {
      if (!res.some((re) => re.test(p))) continue;
      if (explicit) this.add(p, how, driverSequence(p));
      else if (/\.php$/i.test(p)) this.consider(p, how);
      else this.add(p, how, driverSequence(p));
    }
  }

  byConfig(): void {
    for (const { dir, file } of configuredDoctrineDirs(this.paths, this.read)) this.configured.push({ dir, how: `${file} migrations_paths` });
    for (const { dir, ns } of composerMigrationDirs(this.read)) this.configured.push({ dir, how: `composer.json autoload ${ns}` });
    for (const c of this.configured) {
      if (c.dir === '.' || c.dir === '') continue;
      const prefix = `${c.dir}/`;
      for (const p of this.paths) if (p.startsWith(prefix) && /\.php$/i.test(p)) this.consider(p, c.how);
    }
  }

  byBaseClass(): void {
    for (const p of this.paths) {
      if (!/\.php$/i.test(p) || this.found.has(p)) continue;
      const dir = dirOf(p);
      const name = p.slice(dir.length + 1);
      const looks = dir.split('/').some((s) => MIGRATION_DIR_LOOSE.test(s)) || /^Version\w*\d{6,}\w*\.php$/.test(name);
      if (!looks) continue;
      const ex = excluded(p);
      if (ex) {
        this.skip(p, ex);
        continue;
      }
      const c = this.classOf(p);
      if (c.kind) this.add(p, `base class ${c.base}`);
      else if (/^(?:Version|\d{4}_\d{2}_\d{2}_)/.test(name) || c.not?.startsWith('abstract')) this.skip(p, c.not ?? 'not a migration class');
    }
  }

  byDriverFolders(): void {
    const candidates: { p: string; root: string; how: string }[] = [];
    for (const p of this.paths) {
      if (!/\.sql$/i.test(p) || this.found.has(p)) continue;
      const segs = dirOf(p).split('/');
      const driverAt = segs.findIndex((s, i) => DRIVERS.test(s) && (i > 0 ? SQL_ROOTS.test(segs[i - 1]!) || MIGRATION_DIR.test(segs[i + 1] ?? '') : true));
      const inMigrationDir = segs.some((s) => MIGRATION_DIR.test(s));
      if (driverAt < 0 && !inMigrationDir) continue;
      const ex = excluded(p);
      if (ex) {
        this.skip(p, ex);
        continue;
      }
      const name = p.slice(p.lastIndexOf('/') + 1).replace(/\.sql$/i, '');
      if (NOT_A_MIGRATION_SQL.test(name)) {
        this.skip(p, 'a whole schema, seed or dump, not a migration');
        continue;
      }
      const how = driverAt >= 0 ? `SQL migrations for ${segs[driverAt]}` : 'SQL migrations folder';
      candidates.push({ p, root: inMigrationDir ? '' : segs.slice(0, driverAt + 1).join('/'), how });
    }
    // a lone SQL file in a driver folder (next to the schema) is no sequence of migrations
    const perRoot = new Map<string, number>();
    for (const c of candidates) if (c.root) perRoot.set(c.root, (perRoot.get(c.root) ?? 0) + 1);
    for (const c of candidates) {
      if (c.root && perRoot.get(c.root)! < 2) this.skip(c.p, 'a single SQL file in a driver folder, not a sequence of migrations');
      else this.add(c.p, c.how, driverSequence(c.p));
    }
  }

  result(): Discovery {
    const files = sortMigrationPaths([...this.found.keys()]);
    const byDir = new Map<string, { kinds: Set<string>; bases: Set<string>; hows: Set<string>; files: string[] }>();
    // per-driver SQL kept in one folder per version (update/database/mysql/4.2/…): one group per driver
    const seqDirs = new Map<string, Set<string>>();
    for (const f of files) {
      const seq = this.found.get(f)!.seq;
      if (!seq) continue;
      let ds = seqDirs.get(seq);
      if (!ds) seqDirs.set(seq, (ds = new Set()));
      ds.add(dirOf(f));
    }
    for (const f of files) {
      const seq = this.found.get(f)!.seq;
      const dir = seq && seqDirs.get(seq)!.size > 1 ? `${seq}/**` : dirOf(f);
      let g = byDir.get(dir);
      if (!g) byDir.set(dir, (g = { kinds: new Set(), bases: new Set(), hows: new Set(), files: [] }));
      g.files.push(f);
      const how = this.found.get(f)!.how;
      const c = /\.php$/i.test(f) ? this.classCache.get(f) : undefined;
      if (c?.kind) {
        g.kinds.add(c.kind);
        g.bases.add(c.base!);
      }
      if (!how.startsWith('base class')) g.hows.add(how);
    }
    const groups: FoundGroup[] = [...byDir].map(([dir, g]) => {
      const parts = [...g.hows];
      if (g.kinds.size > 0) parts.unshift(describeKind(g.kinds, g.bases));
      return { dir, how: parts.join('; ') || 'migrations', files: g.files };
    });
    const sequence = new Map(files.map((f) => [f, this.found.get(f)!.seq]));
    const skipped = [...this.skipped].map(([path, reason]) => ({ path, reason })).sort((a, b) => (a.path < b.path ? -1 : 1));
    return { files, groups, skipped, sequence };
  }
}

/** The per-driver sequence of a SQL migration (`SQL/mysql/…` → `mysql`), '' otherwise. */
export function driverSequence(p: string): string {
  if (!/\.sql$/i.test(p)) return '';
  const segs = dirOf(p).split('/');
  const i = segs.findIndex((s) => DRIVERS.test(s));
  return i < 0 ? '' : segs.slice(0, i + 1).join('/');
}

/** Log lines: where migrations were found and which candidates were skipped (grouped per folder and reason). */
export function describeDiscovery(d: Discovery, max = 8): string[] {
  const lines = d.groups.map((g) => `migrations: ${g.files.length} in ${g.dir.endsWith('**') ? g.dir : `${g.dir}/`} (${g.how})`);
  const bySkip = new Map<string, string[]>();
  for (const s of d.skipped) {
    // third-party and test code: one line per top folder (vendor/, tests/), not one per package
    const top = /^(?:.*?\/)?(vendor|node_modules|tests?|Tests|spec|fixtures?)\//.exec(s.path);
    const where = top && EXCLUDED.some((e) => e.reason === s.reason) ? s.path.slice(0, top.index + top[0].length - 1) : dirOf(s.path);
    const key = `${where}\u0000${s.reason}`;
    let l = bySkip.get(key);
    if (!l) bySkip.set(key, (l = []));
    l.push(s.path);
  }
  let n = 0;
  for (const [key, ps] of bySkip) {
    if (n++ >= max) {
      lines.push(`migrations: … and ${bySkip.size - max} more skipped folders`);
      break;
    }
    const [dir, reason] = key.split('\u0000');
    const what = ps.length === 1 ? ps[0]! : `${ps.length} files in ${dir}/`;
    lines.push(`migrations: skipped ${what}: ${reason}`);
  }
  return lines;
}
