/**
 * What not to ship: gitignore-syntax patterns from the `exclude` input and the source's
 * `.deployignore`, plus `.git` (anywhere) and the release manifest name (at the root), always.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';
import { InputError } from '../errors.js';
import { MANIFEST_NAME } from './manifest.js';

export const DEPLOYIGNORE = '.deployignore';

/** Returns true when `relPath` (relative, `/`-separated, no leading `./`) is excluded. */
export type ExcludeFilter = (relPath: string, isDir: boolean) => boolean;

/** Splits `exclude` entries into pattern lines, dropping blanks and `#` comments. */
export function splitPatterns(patterns: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of patterns) {
    for (const raw of entry.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      out.push(line);
    }
  }
  return out;
}

/** Why a gitignore pattern is invalid (one that git would never match), or undefined if it is fine. */
export function patternProblem(pattern: string): string | undefined {
  if (/\p{Cc}/u.test(pattern)) return 'it contains a control character';
  let body = pattern;
  if (body.startsWith('!')) body = body.slice(1);
  if (body === '' || body === '/') return 'it matches nothing';
  // Trailing backslash: git treats a pattern ending in an unescaped `\` as invalid.
  const trailing = /\\*$/.exec(body)![0].length;
  if (trailing % 2 === 1) return 'it ends with a lone backslash';
  // Unclosed character class.
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '[') continue;
    let j = i + 1;
    if (body[j] === '!' || body[j] === '^') j++;
    if (body[j] === ']') j++;
    while (j < body.length && body[j] !== ']') {
      if (body[j] === '\\') j++;
      j++;
    }
    if (j >= body.length) return 'it has a "[" without a closing "]"';
    i = j;
  }
  const segments = body.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '.' || s === '..')) {
    return 'patterns are relative to the source directory and cannot contain "." or ".." segments (write e.g. "vendor/" or "/vendor")';
  }
  return undefined;
}

/**
 * Builds the exclude filter for `sourceDir`. `patterns` are the user's `exclude` entries (one
 * pattern per line or entry; blank and `#` lines skipped). Invalid patterns → InputError('exclude').
 */
export async function createExcludeFilter(sourceDir: string, patterns: readonly string[]): Promise<ExcludeFilter> {
  const ig = ignore({ ignorecase: false });

  let fileText: string | undefined;
  try {
    fileText = await readFile(join(sourceDir, DEPLOYIGNORE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new InputError('exclude', `cannot read ${DEPLOYIGNORE} in ${sourceDir}: ${code ?? String(err)}`);
    }
  }
  if (fileText !== undefined) {
    const lines = fileText.replace(/^\uFEFF/, '').split(/\r?\n/);
    lines.forEach((line, i) => {
      // gitignore rules: leading spaces count, trailing unescaped spaces do not (ignore handles it).
      if (line.trim() === '' || line.startsWith('#')) return;
      const why = patternProblem(line.replace(/(?<!\\) +$/, ''));
      if (why) {
        throw new InputError('exclude', `${DEPLOYIGNORE} line ${i + 1}: pattern ${JSON.stringify(line)} is invalid: ${why}`);
      }
      ig.add(line);
    });
  }

  for (const p of splitPatterns(patterns)) {
    const why = patternProblem(p);
    if (why) throw new InputError('exclude', `pattern ${JSON.stringify(p)} is invalid: ${why}`);
    ig.add(p);
  }

  return (relPath: string, isDir: boolean): boolean => {
    if (relPath === '' || relPath === '.') return false;
    if (relPath === MANIFEST_NAME) return true;
    if (relPath === '.git' || relPath.startsWith('.git/') || relPath.endsWith('/.git') || relPath.includes('/.git/')) {
      return true;
    }
    return ig.ignores(isDir ? `${relPath}/` : relPath);
  };
}
