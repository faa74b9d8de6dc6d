/**
 * A SQL tokenizer and statement splitter for MySQL/MariaDB, PostgreSQL and SQLite migration text:
 * comments (`--`, `#`, `/* *\/`), quoted strings (with `''` and backslash escapes), quoted
 * identifiers (backticks, double quotes), dollar-quoted bodies, `DELIMITER` lines and
 * BEGIN … END bodies of triggers and routines.
 */

export type SqlTokenType = 'word' | 'qident' | 'string' | 'number' | 'punct' | 'ph' | 'end';

export interface SqlToken {
  type: SqlTokenType;
  /** Words and punctuation as written; quoted identifiers unquoted; strings with their quotes. */
  text: string;
  /** Upper-cased text for words, '' for everything else (so a quoted identifier is never a keyword). */
  up: string;
  /** Range in the lexed text, `e` exclusive. */
  s: number;
  e: number;
}

export interface SqlComment {
  s: number;
  e: number;
  text: string;
}

export interface SqlStatement {
  /** Tokens without the terminator. */
  tokens: SqlToken[];
  s: number;
  e: number;
}

export interface SqlLex {
  text: string;
  tokens: SqlToken[];
  comments: SqlComment[];
  statements: SqlStatement[];
}

export interface SqlLexOptions {
  /** The text comes from a PHP string: `%s`/`%1$s` (sprintf) are placeholders too. */
  php?: boolean;
}

const WORD_START = /[\p{L}_@]/u;
const WORD_CHAR = /[\p{L}\p{N}_$@]/u;

/**
 * End of a word that may have `{…}` placeholders glued to it (`{$prefix}users`, `users_{$suffix}`):
 * such a word is one placeholder token.
 */
function wordEnd(text: string, i: number, delim = ';'): number {
  let j = i;
  while (j < text.length) {
    if (j > i && delim !== ';' && text.startsWith(delim, j)) break;
    if (text[j] === '{') {
      let depth = 0;
      for (; j < text.length; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) break;
      }
      j++;
    } else if (WORD_CHAR.test(text[j]!)) j++;
    else break;
  }
  return Math.min(j, text.length);
}

function atLineStart(text: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--;
  return k < 0 || text[k] === '\n';
}

// long: a lexer: one loop with one branch per token kind, all sharing the position, the delimiter
// and the executable-comment state; split up, that state would travel through every helper.
export function lexSql(text: string, opts: SqlLexOptions = {}): SqlLex {
  const n = text.length;
  const tokens: SqlToken[] = [];
  const comments: SqlComment[] = [];
  let delim = ';';
  /** Inside a MySQL executable comment `/*!40101 … *\/`: its `*\/` is skipped. */
  let execComment = false;
  let i = 0;
  const push = (type: SqlTokenType, s: number, e: number, t = text.slice(s, e)): void => {
    tokens.push({ type, text: t, up: type === 'word' ? t.toUpperCase() : '', s, e });
  };
  const atStatementStart = (): boolean => tokens.length === 0 || tokens.at(-1)!.type === 'end';

  while (i < n) {
    const ch = text[i]!;
    const nx = text[i + 1] ?? '';
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    // DELIMITER lines (mysql client), only at the start of a statement and of a line
    if ((ch === 'd' || ch === 'D') && atStatementStart() && atLineStart(text, i)) {
      const m = /DELIMITER[ \t]+(\S+)[^\n]*/iy;
      m.lastIndex = i;
      const d = m.exec(text);
      if (d) {
        delim = d[1]!;
        push('end', i, i + d[0].length, '');
        i += d[0].length;
        continue;
      }
    }
    if (delim !== ';' && text.startsWith(delim, i)) {
      push('end', i, i + delim.length);
      i += delim.length;
      continue;
    }
    if ((ch === '-' && nx === '-') || ch === '#') {
      let j = i;
      while (j < n && text[j] !== '\n') j++;
      comments.push({ s: i, e: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === '/' && nx === '*') {
      if (text[i + 2] === '!' || text[i + 2] === '+') {
        // MySQL executable comment or optimizer hint: the content is code
        execComment = true;
        i += 3;
        while (i < n && /\d/.test(text[i]!)) i++;
        continue;
      }
      const close = text.indexOf('*/', i + 2);
      const j = close < 0 ? n : close + 2;
      comments.push({ s: i, e: j, text: text.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === '*' && nx === '/' && execComment) {
      execComment = false;
      i += 2;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      while (j < n) {
        if (text[j] === '\\') j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      const e = Math.min(j + 1, n);
      push('string', i, e);
      i = e;
      continue;
    }
    if (ch === '"' || ch === '`') {
      let j = i + 1;
      let name = '';
      while (j < n) {
        if (text[j] === ch && text[j + 1] === ch) {
          name += ch;
          j += 2;
        } else if (text[j] === ch) break;
        else name += text[j++];
      }
      const e = Math.min(j + 1, n);
      push('qident', i, e, name);
      i = e;
      continue;
    }
    if (ch === '[' && /^\[[A-Za-z_][\w ]*\]/.test(text.slice(i, i + 130))) {
      // SQL Server style [identifier]
      const e = text.indexOf(']', i) + 1;
      push('qident', i, e, text.slice(i + 1, e - 1));
      i = e;
      continue;
    }
    if (ch === '$') {
      const dq = /\$([A-Za-z_]\w*)?\$/y;
      dq.lastIndex = i;
      const m = dq.exec(text);
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        const e = close < 0 ? n : close + m[0].length;
        push('string', i, e);
        i = e;
        continue;
      }
      const v = /\$(?:\d+|[A-Za-z_]\w*(?:->[A-Za-z_]\w*)*)/y;
      v.lastIndex = i;
      const mv = v.exec(text);
      if (mv) {
        push('ph', i, i + mv[0].length);
        i += mv[0].length;
        continue;
      }
    }
    if (ch === '{') {
      const e = wordEnd(text, i, delim);
      push('ph', i, e);
      i = e;
      continue;
    }
    if (ch === '?') {
      push('ph', i, i + 1);
      i++;
      continue;
    }
    if (ch === ':' && nx === ':') {
      push('punct', i, i + 2);
      i += 2;
      continue;
    }
    if (ch === ':' && /[A-Za-z_]/.test(nx)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j]!)) j++;
      push('ph', i, j);
      i = j;
      continue;
    }
    if (opts.php && ch === '%') {
      const m = /%(?:\d+\$)?[-+ 0']*\d*(?:\.\d+)?[bcdeEfFgGosuxX]/y;
      m.lastIndex = i;
      const pm = m.exec(text);
      if (pm) {
        push('ph', i, i + pm[0].length);
        i += pm[0].length;
        continue;
      }
    }
    if (/\d/.test(ch) || (ch === '.' && /\d/.test(nx))) {
      const m = /(?:0x[0-9A-Fa-f]+|\d*\.?\d+(?:[eE][-+]?\d+)?)/y;
      m.lastIndex = i;
      const nm = m.exec(text)!;
      // 1abc is an identifier in MySQL
      let e = i + nm[0].length;
      if (e < n && WORD_CHAR.test(text[e]!) && !/[eE]/.test(text[e]!)) {
        while (e < n && WORD_CHAR.test(text[e]!)) e++;
        push('word', i, e);
      } else push('number', i, e);
      i = e;
      continue;
    }
    if (WORD_START.test(ch)) {
      const j = wordEnd(text, i, delim);
      const w = text.slice(i, j);
      push(ch === '@' || w.includes('{') ? 'ph' : 'word', i, j);
      i = j;
      continue;
    }
    if (ch === ';' && delim === ';') {
      push('end', i, i + 1);
      i++;
      continue;
    }
    push('punct', i, i + 1);
    i++;
  }
  return { text, tokens, comments, statements: splitStatements(tokens) };
}

/** Routine/trigger definitions whose bodies hold `;`-terminated statements of their own. */
function isCompound(tokens: SqlToken[]): boolean {
  if (tokens[0]?.up !== 'CREATE') return false;
  for (let k = 1; k < Math.min(tokens.length, 12); k++) {
    const u = tokens[k]!.up;
    if (u === 'TRIGGER' || u === 'PROCEDURE' || u === 'FUNCTION' || u === 'EVENT') return true;
    if (u === 'TABLE' || u === 'VIEW' || u === 'INDEX' || u === 'AS') return false;
  }
  return false;
}

function splitStatements(tokens: SqlToken[]): SqlStatement[] {
  const out: SqlStatement[] = [];
  let cur: SqlToken[] = [];
  let depth = 0;
  const flush = (): void => {
    if (cur.length > 0) out.push({ tokens: cur, s: cur[0]!.s, e: cur.at(-1)!.e });
    cur = [];
    depth = 0;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.type === 'end') {
      if (t.text === '' || depth <= 0 || !isCompound(cur)) flush();
      else cur.push({ ...t, type: 'punct' });
      continue;
    }
    cur.push(t);
    if (isCompound(cur)) {
      if (t.up === 'BEGIN' || (t.up === 'CASE' && tokens[k - 1]?.up !== 'END')) depth++;
      else if (t.up === 'END') {
        const after = tokens[k + 1]?.up;
        if (after !== 'IF' && after !== 'LOOP' && after !== 'WHILE' && after !== 'REPEAT') depth--;
      }
    }
  }
  flush();
  return out;
}
