/**
 * Which files of a release are migrations: a small glob matcher (node:path's matchesGlob is not in
 * Node 20) and the default locations of Laravel, Doctrine/Symfony and plain SQL migrations.
 *
 * Glob syntax, matched against the whole relative path (`/`-separated, no leading `./`):
 *   `**` as a whole path segment: zero or more segments; `*`: any characters except `/`;
 *   `?`: one character except `/`; `[abc]`, `[a-z]`, `[!abc]`: one character of a set;
 *   `{a,b}`: alternatives (may nest, may contain `/`); `\x`: the character x literally.
 */

/** Where migrations live unless configured otherwise. */
export const DEFAULT_MIGRATION_GLOBS: readonly string[] = Object.freeze([
  // Laravel
  'database/migrations/**/*.php',
  // Doctrine Migrations (Symfony's default is migrations/, older bundles use src/Migrations/)
  'migrations/**/*.php',
  'src/Migrations/**/*.php',
  // plain SQL
  'migrations/**/*.sql',
  'database/migrations/**/*.sql',
  'db/migrations/**/*.sql',
  'sql/migrations/**/*.sql',
]);

const cache = new Map<string, RegExp>();

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(ch) ? `\\${ch}` : ch;
}

/** Index of the `}` closing the `{` at `open`, or -1 when it is not closed. */
function closingBrace(glob: string, open: number): number {
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The glob as an anchored regular expression (see the syntax above). */
export function globToRegExp(glob: string): RegExp {
  const cached = cache.get(glob);
  if (cached) return cached;
  const g = glob.replace(/^(?:\.\/)+/, '').replace(/^\/+/, '');
  let re = '';
  /** Positions of `}` that close an alternation, innermost last. */
  const closers: number[] = [];
  for (let i = 0; i < g.length; i++) {
    const ch = g[i]!;
    if (ch === '\\' && i + 1 < g.length) {
      re += escapeRe(g[++i]!);
    } else if (ch === '*') {
      if (g[i + 1] === '*') {
        let j = i;
        while (g[j] === '*') j++;
        const segStart = i === 0 || g[i - 1] === '/';
        const segEnd = j === g.length || g[j] === '/';
        if (segStart && segEnd) {
          if (j === g.length) {
            // `a/**` matches everything below a (and `**` alone matches everything)
            re = i === 0 ? '.*' : `${re.slice(0, -1)}(?:/.*)?`;
          } else {
            re += '(?:[^/]*/)*'; // `**/`: zero or more whole segments
            j++; // the `/` is part of it
          }
          i = j - 1;
          continue;
        }
        i = j - 1;
      }
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = g.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = g.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else if (ch === '{') {
      const end = closingBrace(g, i);
      if (end < 0) re += '\\{';
      else {
        closers.push(end);
        re += '(?:';
      }
    } else if (ch === ',' && closers.length > 0) {
      re += '|';
    } else if (ch === '}' && closers.at(-1) === i) {
      closers.pop();
      re += ')';
    } else {
      re += escapeRe(ch);
    }
  }
  const out = new RegExp(`^${re}$`);
  cache.set(glob, out);
  return out;
}

/** Whether a relative path (`/`-separated) matches the glob. */
export function matchesGlob(path: string, glob: string): boolean {
  return globToRegExp(glob).test(path.replace(/^(?:\.\/)+/, ''));
}

/** Compares strings with runs of digits compared by value: `V2__a.sql` before `V10__b.sql`. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const sx = x.replace(/^0+/, '');
      const sy = y.replace(/^0+/, '');
      if (sx.length !== sy.length) return sx.length - sy.length;
      if (sx !== sy) return sx < sy ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Orders migration paths the way the frameworks run them: by file name (Laravel's
 * `2024_01_31_120000_…`, Doctrine's `Version20240131120000`, Flyway's `V2__…` before `V10__…`),
 * then by path.
 */
export function sortMigrationPaths(paths: readonly string[]): string[] {
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  return [...paths].sort((a, b) => naturalCompare(base(a), base(b)) || naturalCompare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The paths (relative, `/`-separated) that are migrations by the globs, in the order the
 * frameworks run them (see sortMigrationPaths). Entries with a `type` other than a regular file
 * (`f`, as in the release manifest) are skipped.
 */
export function findMigrationFiles(
  entries: readonly { path: string; type?: string }[],
  globs: readonly string[] = DEFAULT_MIGRATION_GLOBS,
): string[] {
  const res = globs.map(globToRegExp);
  const found = new Set<string>();
  for (const e of entries) {
    if (e.type !== undefined && e.type !== 'f') continue;
    const p = e.path.replace(/^(?:\.\/)+/, '');
    if (res.some((re) => re.test(p))) found.add(p);
  }
  return sortMigrationPaths([...found]);
}
