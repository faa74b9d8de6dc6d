// Migration globs as a POSIX ERE for awk on the server (a rollback lists a release's migrations).

/**
 * An awk-compatible regular expression (POSIX ERE, no backslashes) matching the migration globs, so the
 * server can list a release's migrations from its manifest.
 */
export function globsToEre(globs: readonly string[]): string {
  const one = (glob: string): string => {
    let out = '';
    let depth = 0;
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i] as string;
      if (c === '*' && glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          out += '(.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else if (c === '*') out += '[^/]*';
      else if (c === '?') out += '[^/]';
      else if (c === '{') {
        depth += 1;
        out += '(';
      } else if (c === '}' && depth > 0) {
        depth -= 1;
        out += ')';
      } else if (c === ',' && depth > 0) out += '|';
      else if ('.+()|$^[]{},\\'.includes(c)) out += c === '^' || c === '\\' ? '.' : `[${c}]`;
      else out += c;
    }
    return `^${out}$`;
  };
  return globs.map(one).join('|');
}
