/**
 * A PHP lexer just precise enough to tell code from comments and string literals: everything the
 * migration rules look at is found in `masked` (comments and string contents blanked, offsets and
 * newlines preserved), and SQL is read from the decoded string literals.
 */

export interface Comment {
  /** Source range, `end` exclusive. */
  start: number;
  end: number;
  text: string;
}

export interface PhpString {
  /** Source range including the delimiters, `end` exclusive. */
  start: number;
  end: number;
  kind: 'single' | 'double' | 'heredoc' | 'nowdoc' | 'shell';
  /** Heredoc/nowdoc label. */
  label?: string;
  /**
   * The value as PHP sees it; interpolations (`$x`, `{$x->y}`, `${x}`) are kept as one
   * `{…}` placeholder.
   */
  value: string;
  /** Source offset of every character of `value`. */
  map: number[];
}

export interface PhpLex {
  src: string;
  /** Comments and inline HTML blanked; string literals reduced to `'` … `'` with blank contents. */
  masked: string;
  /** Comments and inline HTML blanked, strings kept. */
  decommented: string;
  strings: PhpString[];
  comments: Comment[];
}

const ID_START = /[A-Za-z_\x80-\uffff]/;
const ID_CHAR = /[A-Za-z0-9_\x80-\uffff]/;

/** Blanks a range: every character but newlines becomes a space. */
function blank(chars: string[], from: number, to: number): void {
  for (let i = from; i < to; i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = ' ';
}

/** End (exclusive) of the `{…}` interpolation starting at `open`, tolerating nested braces and quotes. */
function braceEnd(src: string, open: number, limit: number): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const ch = src[i];
    if (ch === "'" || ch === '"') {
      const q = ch;
      for (i++; i < limit && src[i] !== q; i++) if (src[i] === '\\') i++;
    } else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  return limit;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', v: '\v', e: '\x1b', f: '\f', '\\': '\\', $: '$' };

/**
 * Decodes a double-quoted/heredoc body from `from`; stops at `closer` (for "…" and `…`) or at
 * `limit`. Returns the value, its map and the offset of the closer (or limit).
 */
function decodeInterpolated(
  src: string,
  from: number,
  limit: number,
  closer: string | undefined,
): { value: string; map: number[]; stop: number } {
  let value = '';
  const map: number[] = [];
  const put = (s: string, at: number): void => {
    value += s;
    for (let k = 0; k < s.length; k++) map.push(at);
  };
  let i = from;
  while (i < limit) {
    const ch = src[i]!;
    if (closer !== undefined && ch === closer) break;
    if (ch === '\\' && i + 1 < limit) {
      const nx = src[i + 1]!;
      if (nx in SIMPLE_ESCAPES) {
        put(SIMPLE_ESCAPES[nx]!, i);
        i += 2;
      } else if (closer !== undefined && nx === closer) {
        put(nx, i);
        i += 2;
      } else if (/[0-7]/.test(nx)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))![0];
        put(String.fromCharCode(parseInt(m, 8) & 0xff), i);
        i += 1 + m.length;
      } else if (nx === 'x' && /[0-9A-Fa-f]/.test(src[i + 2] ?? '')) {
        const m = /^[0-9A-Fa-f]{1,2}/.exec(src.slice(i + 2, i + 4))![0];
        put(String.fromCharCode(parseInt(m, 16)), i);
        i += 2 + m.length;
      } else if (nx === 'u' && src[i + 2] === '{') {
        const close = src.indexOf('}', i + 3);
        const cp = close > 0 ? parseInt(src.slice(i + 3, close), 16) : NaN;
        if (Number.isFinite(cp) && cp <= 0x10ffff) {
          put(String.fromCodePoint(cp), i);
          i = close + 1;
        } else {
          put('\\', i);
          i++;
        }
      } else {
        put('\\', i);
        i++;
      }
    } else if (ch === '$' && ID_START.test(src[i + 1] ?? '')) {
      // $name, $name[…], $name->prop
      let j = i + 1;
      while (j < limit && ID_CHAR.test(src[j]!)) j++;
      if (src[j] === '[') {
        const close = src.indexOf(']', j);
        if (close > 0 && close < limit) j = close + 1;
      } else if (src[j] === '-' && src[j + 1] === '>' && ID_START.test(src[j + 2] ?? '')) {
        j += 2;
        while (j < limit && ID_CHAR.test(src[j]!)) j++;
      }
      put(`{${src.slice(i, j)}}`, i);
      i = j;
    } else if ((ch === '{' && src[i + 1] === '$') || (ch === '$' && src[i + 1] === '{')) {
      const open = ch === '{' ? i : i + 1;
      const end = braceEnd(src, open, limit);
      const inner = src.slice(open + 1, end - 1);
      put(`{${ch === '{' ? inner : `$${inner}`}}`, i);
      i = end;
    } else {
      put(ch, i);
      i++;
    }
  }
  return { value, map, stop: i };
}

/** Lexes PHP source (inline HTML before `<?php` and after `?>` is ignored). */
// long: a lexer: one loop with one branch per token kind over the shared position and the masked and
// decommented copies of the source; split up, that state would travel through every helper.
export function lexPhp(src: string): PhpLex {
  const n = src.length;
  const masked = src.split('');
  const decommented = src.split('');
  const strings: PhpString[] = [];
  const comments: Comment[] = [];
  let i = 0;

  const html = (): void => {
    const open = /<\?(?:php\b|=)?/gi;
    open.lastIndex = i;
    const m = open.exec(src);
    const to = m ? m.index + m[0].length : n;
    blank(masked, i, to);
    blank(decommented, i, to);
    i = to;
  };
  html();

  while (i < n) {
    const ch = src[i]!;
    const nx = src[i + 1];
    if (ch === '?' && nx === '>') {
      blank(masked, i, i + 2);
      i += 2;
      html();
    } else if ((ch === '#' && nx !== '[') || (ch === '/' && nx === '/')) {
      let j = i;
      while (j < n && src[j] !== '\n' && !(src[j] === '?' && src[j + 1] === '>')) j++;
      comments.push({ start: i, end: j, text: src.slice(i, j) });
      blank(masked, i, j);
      blank(decommented, i, j);
      i = j;
    } else if (ch === '/' && nx === '*') {
      const close = src.indexOf('*/', i + 2);
      const j = close < 0 ? n : close + 2;
      comments.push({ start: i, end: j, text: src.slice(i, j) });
      blank(masked, i, j);
      blank(decommented, i, j);
      i = j;
    } else if (ch === "'") {
      let value = '';
      const map: number[] = [];
      let j = i + 1;
      while (j < n && src[j] !== "'") {
        if (src[j] === '\\' && (src[j + 1] === '\\' || src[j + 1] === "'")) {
          value += src[j + 1];
          map.push(j);
          j += 2;
        } else {
          value += src[j];
          map.push(j);
          j++;
        }
      }
      const end = Math.min(j + 1, n);
      strings.push({ start: i, end, kind: 'single', value, map });
      blank(masked, i + 1, end - 1);
      i = end;
    } else if (ch === '"' || ch === '`') {
      const d = decodeInterpolated(src, i + 1, n, ch);
      const end = Math.min(d.stop + 1, n);
      strings.push({ start: i, end, kind: ch === '"' ? 'double' : 'shell', value: d.value, map: d.map });
      blank(masked, i + 1, end - 1);
      masked[i] = "'";
      if (end - 1 > i) masked[end - 1] = "'";
      i = end;
    } else if (ch === '<' && src.startsWith('<<<', i)) {
      const head = /<<<[ \t]*(?:"([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)"|'([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)'|([A-Za-z_\x80-\uffff][\w\x80-\uffff]*))\r?\n/y;
      head.lastIndex = i;
      const m = head.exec(src);
      if (!m) {
        i += 3;
        continue;
      }
      const label = (m[1] ?? m[2] ?? m[3])!;
      const nowdoc = m[2] !== undefined;
      const bodyStart = i + m[0].length;
      const closeRe = new RegExp(`[ \\t]*${label}(?![A-Za-z0-9_\\x80-\\uffff])`, 'y');
      let lineStart = bodyStart;
      let bodyEnd = n;
      let end = n;
      while (lineStart <= n) {
        closeRe.lastIndex = lineStart;
        const c = closeRe.exec(src);
        if (c) {
          bodyEnd = Math.max(bodyStart, lineStart - 1); // without the newline before the closing label
          if (bodyEnd > bodyStart && src[bodyEnd - 1] === '\r') bodyEnd--;
          end = lineStart + c[0].length;
          break;
        }
        const nl = src.indexOf('\n', lineStart);
        if (nl < 0) break;
        lineStart = nl + 1;
      }
      let value: string;
      let map: number[];
      if (nowdoc) {
        value = src.slice(bodyStart, bodyEnd);
        map = Array.from({ length: value.length }, (_, k) => bodyStart + k);
      } else {
        ({ value, map } = decodeInterpolated(src, bodyStart, bodyEnd, undefined));
      }
      strings.push({ start: i, end, kind: nowdoc ? 'nowdoc' : 'heredoc', label, value, map });
      blank(masked, i, end);
      masked[i] = "'";
      masked[end - 1] = "'";
      i = end;
    } else {
      i++;
    }
  }
  return { src, masked: masked.join(''), decommented: decommented.join(''), strings, comments };
}
