/**
 * PHP migrations (Laravel, Doctrine Migrations, and anything passing SQL strings to a database
 * call): the schema operations in source order, each with where it is and the statement it is in.
 *
 * SQL is read from string literals passed to addSql / DB::statement / DB::unprepared / execute…
 * (with concatenations and interpolations reduced to placeholders), and from other string
 * literals that start like destructive SQL written in capitals (`'ALTER TABLE …'`, `<<<SQL`).
 * Code inside down() (and Doctrine's preDown/postDown, Yii's safeDown) is not judged: it only
 * tells the previous definition of columns that up() changes.
 */
import { doctrineColumn, laravelColumns, LARAVEL_COLUMN_METHODS, partialFromOptions, partialFromSetters, type ArgVal } from './frameworks.js';
import { lexPhp, type PhpLex, type PhpString } from './php-lex.js';
import type { Op } from './rules.js';
import { normName } from './schema.js';
import { scanSqlText, statementText } from './scan-sql.js';
import { LineIndex, oneLine, type LayerLines, type MarkerComment } from './types.js';

/** An operation with where it is. */
export interface SourceOp {
  op: Op;
  /** Source offset of the code that makes it. */
  at: number;
  line: number;
  statement: string;
  scopes: { layer: string; start: number; end: number }[];
  /** In down() (or another backward method): not judged. */
  inDown: boolean;
}

export interface FileScan {
  ops: SourceOp[];
  comments: MarkerComment[];
  layers: Map<string, LayerLines>;
}

interface Call {
  name: string;
  nameAt: number;
  open: number;
  close: number;
}

const OPENERS = '([{';
const CLOSERS = ')]}';
const DOWN_METHODS = /^(?:down|predown|postdown|safedown)$/i;
const SQL_CALL = /(?:->|::)\s*(addSql|executeStatement|executeUpdate|executeQuery|exec|statement|unprepared|affectingStatement|delete|update|insert|select|execute|query)\s*\(/gi;
const SQL_START =
  /^(?:ALTER\s+(?:ONLINE\s+|OFFLINE\s+|IGNORE\s+)?TABLE|DROP\s+(?:TEMPORARY\s+)?(?:TABLE|DATABASE|SCHEMA|VIEW|MATERIALIZED\s+VIEW)|TRUNCATE|RENAME\s+TABLE|DELETE\s+FROM|UPDATE\s+\S+\s+SET|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE)\s/;
/** Calls whose argument is SQL to run: when it is built at run time, php-deploy cannot vouch for it. */
const DYNAMIC_CALL = /^(?:addSql|executeStatement|executeUpdate|exec|statement|unprepared)$/i;

function addRange(set: Set<number>, from: number, to: number): void {
  for (let l = from; l <= to; l++) set.add(l);
}

class PhpScanner {
  readonly lex: PhpLex;
  readonly m: string;
  readonly ops: SourceOp[] = [];
  readonly comments: MarkerComment[] = [];
  readonly layers = new Map<string, LayerLines>();
  private readonly stringAt = new Map<number, PhpString>();
  private readonly consumed = new Set<PhpString>();
  /** Named function bodies: [open brace, close brace]. */
  private readonly bodies: { name: string; open: number; close: number }[] = [];
  /** Source ranges already judged by the Laravel/DB analyses (the generic pass skips them). */
  private readonly handled: [number, number][] = [];
  private sqlTexts = 0;

  constructor(
    src: string,
    private readonly lines: LineIndex,
  ) {
    this.lex = lexPhp(src);
    this.m = this.lex.masked;
    for (const s of this.lex.strings) this.stringAt.set(s.start, s);
    this.findBodies();
    this.phpLayer();
  }

  // ---- helpers over the masked code --------------------------------------------------------

  private matchClose(open: number): number {
    let depth = 0;
    const m = this.m;
    for (let i = open; i < m.length; i++) {
      const c = m[i]!;
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c) && --depth === 0) return i;
    }
    return m.length;
  }

  private nextNonWs(i: number): number {
    while (i < this.m.length && /\s/.test(this.m[i]!)) i++;
    return i;
  }

  private prevNonWs(i: number): number {
    while (i >= 0 && /\s/.test(this.m[i]!)) i--;
    return i;
  }

  private findBodies(): void {
    const re = /\bfunction\s+&?\s*([A-Za-z_\x80-\uffff][\w\x80-\uffff]*)\s*\(/g;
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const pClose = this.matchClose(mt.index + mt[0].length - 1);
      let i = pClose + 1;
      while (i < this.m.length && this.m[i] !== '{' && this.m[i] !== ';') i++;
      if (this.m[i] !== '{') continue;
      this.bodies.push({ name: mt[1]!, open: i, close: this.matchClose(i) });
    }
  }

  private inDown(at: number): boolean {
    return this.bodies.some((b) => DOWN_METHODS.test(b.name) && at > b.open && at < b.close);
  }

  private isHandled(at: number): boolean {
    return this.handled.some(([a, b]) => at >= a && at < b);
  }

  /** Start of the innermost statement containing `at`. */
  private stmtStart(at: number): number {
    let depth = 0;
    const m = this.m;
    for (let i = at - 1; i >= 0; i--) {
      const c = m[i]!;
      if (c === ')' || c === ']') depth++;
      else if (c === '(' || c === '[') {
        if (depth > 0) depth--;
      } else if (depth === 0 && (c === ';' || c === '{' || c === '}')) return this.nextNonWs(i + 1);
    }
    return this.nextNonWs(0);
  }

  /** End (exclusive) of the statement containing `at` (the counterpart of stmtStart). */
  private stmtEnd(at: number): number {
    let depth = 0;
    const m = this.m;
    for (let i = at; i < m.length; i++) {
      const c = m[i]!;
      if (OPENERS.includes(c)) depth++;
      else if (c === '}' && depth === 0) return i;
      else if (CLOSERS.includes(c)) {
        if (depth > 0) depth--;
        if (c === '}' && depth === 0) {
          // the end of a block: `foreach (…) { … }`, unless an expression goes on (closure argument, `};`)
          const nx = this.nextNonWs(i + 1);
          if (m[nx] === ';') return nx + 1;
          if (!')],.-'.includes(m[nx] ?? '') && !/^(?:else|elseif|catch|finally|while)\b/.test(m.slice(nx, nx + 8))) return i + 1;
        }
      } else if (c === ';' && depth === 0) return i + 1;
    }
    return m.length;
  }

  /** The statement directly in the innermost named function body that contains `at`. */
  private outerStatement(at: number): [number, number] | undefined {
    let body: { open: number; close: number } | undefined;
    for (const b of this.bodies) if (at > b.open && at < b.close && (!body || b.open > body.open)) body = b;
    if (!body) return undefined;
    let spans = this.topCache.get(body.open);
    if (!spans) this.topCache.set(body.open, (spans = this.topStatements(body)));
    return spans.find(([s, e]) => at >= s && at < e);
  }

  private readonly topCache = new Map<number, [number, number][]>();

  /** The statements directly in a function body. */
  private topStatements(body: { open: number; close: number }): [number, number][] {
    const spans: [number, number][] = [];
    const m = this.m;
    let i = body.open + 1;
    while (i < body.close) {
      i = this.nextNonWs(i);
      if (i >= body.close) break;
      const s = i;
      let depth = 0;
      for (; i < body.close; i++) {
        const c = m[i]!;
        if (OPENERS.includes(c)) depth++;
        else if (CLOSERS.includes(c)) {
          depth--;
          if (depth === 0 && c === '}') {
            const nx = this.nextNonWs(i + 1);
            if (m[nx] === ';') {
              i = nx;
              break;
            }
            if (/^(?:else|elseif|catch|finally|while)\b/.test(m.slice(nx, nx + 8)) || ')],.-'.includes(m[nx] ?? '')) continue;
            break;
          }
        } else if (c === ';' && depth === 0) break;
      }
      const e = Math.min(i + 1, body.close);
      spans.push([s, e]);
      i = e;
    }
    return spans;
  }

  /** PHP-layer scopes and the statement text for code at `at`. */
  private place(at: number): { statement: string; scopes: SourceOp['scopes']; start: number; end: number } {
    const s = this.stmtStart(at);
    const e = Math.max(this.stmtEnd(at), s + 1);
    const scopes: SourceOp['scopes'] = [{ layer: 'php', start: this.lines.lineOf(s), end: this.lines.lineOf(e - 1) }];
    const outer = this.outerStatement(at);
    if (outer && (outer[0] !== s || outer[1] !== e)) {
      // a marker above (or on the first line of) the enclosing statement covers everything in it
      const first = this.lines.lineOf(outer[0]);
      scopes.push({ layer: 'php', start: first, end: first });
    }
    return { statement: oneLine(this.lex.decommented.slice(s, e)), scopes, start: s, end: e };
  }

  private push(op: Op, at: number): void {
    const p = this.place(at);
    this.ops.push({ op, at, line: this.lines.lineOf(at), statement: p.statement, scopes: p.scopes, inDown: this.inDown(at) });
  }

  private phpLayer(): void {
    const code = new Set<number>();
    const comment = new Set<number>();
    let line = 1;
    for (let i = 0; i < this.m.length; i++) {
      const c = this.m[i]!;
      if (c === '\n') line++;
      else if (!/\s/.test(c)) code.add(line);
    }
    for (const s of this.lex.strings) addRange(code, this.lines.lineOf(s.start), this.lines.lineOf(s.end - 1));
    for (const c of this.lex.comments) {
      addRange(comment, this.lines.lineOf(c.start), this.lines.lineOf(Math.max(c.start, c.end - 1)));
      let off = c.start;
      for (const part of c.text.split('\n')) {
        this.comments.push({ layer: 'php', line: this.lines.lineOf(off), text: part });
        off += part.length + 1;
      }
    }
    this.layers.set('php', { code, comment });
  }

  // ---- arguments and call chains ------------------------------------------------------------

  /** String literals starting in [from, to), in order. */
  private stringsIn(from: number, to: number): PhpString[] {
    const all = this.lex.strings;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]!.start < from) lo = mid + 1;
      else hi = mid;
    }
    const out: PhpString[] = [];
    for (let k = lo; k < all.length && all[k]!.start < to; k++) out.push(all[k]!);
    return out;
  }

  /** Top-level argument ranges of the call whose parentheses are at open/close. */
  private argRanges(open: number, close: number): [number, number][] {
    const out: [number, number][] = [];
    let depth = 0;
    let start = open + 1;
    for (let i = open + 1; i < close; i++) {
      const c = this.m[i]!;
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      else if (c === ',' && depth === 0) {
        out.push([start, i]);
        start = i + 1;
      }
    }
    if (this.m.slice(start, close).trim() !== '') out.push([start, close]);
    return out;
  }

  private argVal([from, to]: [number, number]): ArgVal {
    const raw = this.lex.decommented.slice(from, to).trim();
    const masked = this.m.slice(from, to).trim();
    const strings = this.stringsIn(from, to);
    const v: ArgVal = { strings: strings.map((s) => s.value), raw };
    const first = this.nextNonWs(from);
    const only = this.stringAt.get(first);
    if (only && this.m.slice(only.end, to).trim() === '') v.str = only.value;
    const named = masked.replace(/^[A-Za-z_]\w*\s*:(?!:)\s*/, ''); // PHP 8 named argument
    if (/^-?\d+(?:\.\d+)?$/.test(named)) v.num = Number(named);
    if (/^(?:true|false)$/i.test(named)) v.bool = named.toLowerCase() === 'true';
    return v;
  }

  private args(open: number, close: number): ArgVal[] {
    return this.argRanges(open, close).map((r) => this.argVal(r));
  }

  /** `->a(…)->b(…)` from `from`. */
  private chain(from: number): Call[] {
    const calls: Call[] = [];
    const re = /\s*\??->\s*([A-Za-z_]\w*)\s*\(/y;
    let pos = from;
    for (;;) {
      re.lastIndex = pos;
      const mt = re.exec(this.m);
      if (!mt) break;
      const open = pos + mt[0].length - 1;
      const close = this.matchClose(open);
      calls.push({ name: mt[1]!, nameAt: pos + mt[0].indexOf(mt[1]!), open, close });
      pos = close + 1;
    }
    return calls;
  }

  // ---- SQL in strings -----------------------------------------------------------------------

  /** Scans SQL built from string literals (and placeholders for code between them). */
  private sqlFrom(pieces: { text: string; map: number[] }[], callAt: number): void {
    let text = '';
    const map: number[] = [];
    for (const p of pieces) {
      text += p.text;
      map.push(...p.map);
    }
    if (text.trim() === '') return;
    const k = this.sqlTexts++;
    const layer = `sql:${k}`;
    const { lex, items } = scanSqlText(text, { php: true });
    const src = (i: number): number => map[Math.min(Math.max(i, 0), map.length - 1)]!;
    const code = new Set<number>();
    const comment = new Set<number>();
    for (const t of lex.tokens) if (t.type !== 'end') addRange(code, this.lines.lineOf(src(t.s)), this.lines.lineOf(src(t.e - 1)));
    for (const c of lex.comments) {
      addRange(comment, this.lines.lineOf(src(c.s)), this.lines.lineOf(src(c.e - 1)));
      let off = c.s;
      for (const part of c.text.split('\n')) {
        this.comments.push({ layer, line: this.lines.lineOf(src(off)), text: part });
        off += part.length + 1;
      }
    }
    this.layers.set(layer, { code, comment });
    const p = this.place(callAt);
    const inDown = this.inDown(callAt);
    for (const it of items) {
      const at = src(it.at);
      this.ops.push({
        op: it.op,
        at,
        line: this.lines.lineOf(at),
        statement: oneLine(statementText(lex, it.statement)),
        scopes: [...p.scopes, { layer, start: this.lines.lineOf(src(it.statement.s)), end: this.lines.lineOf(src(it.statement.e - 1)) }],
        inDown,
      });
    }
  }

  private placeholder(code: string, at: number): { text: string; map: number[] } {
    const t = `{${code.replace(/[\s{}'";`]+/g, '')}}`;
    return { text: t, map: Array.from({ length: t.length }, () => at) };
  }

  /** Splits [from, to) at the concatenation dots outside parentheses, brackets and braces. */
  private concatParts(from: number, to: number): [number, number][] {
    const m = this.m;
    const parts: [number, number][] = [];
    let depth = 0;
    let start = from;
    for (let i = from; i < to; i++) {
      const c = m[i]!;
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth--;
      else if (c === '.' && depth === 0 && m[i + 1] !== '.' && m[i - 1] !== '.' && m[i + 1] !== '=' && !(/\d/.test(m[i - 1] ?? '') && /\d/.test(m[i + 1] ?? ''))) {
        parts.push([start, i]);
        start = i + 1;
      }
    }
    parts.push([start, to]);
    return parts;
  }

  /** End (exclusive) of the expression that starts at `from`: the next `;`, `,`, `=>`, `?` or unmatched closer outside brackets. */
  private exprEnd(from: number): number {
    const m = this.m;
    let depth = 0;
    for (let i = from; i < m.length; i++) {
      const c = m[i]!;
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) {
        if (depth === 0) return i;
        depth--;
      } else if (depth === 0 && (c === ';' || c === ',' || c === '?' || (c === '=' && m[i + 1] === '>'))) return i;
    }
    return m.length;
  }

  /**
   * The SQL of an expression: string literals as text, every other operand (a variable, a call
   * with any arguments, a constant) as one `{…}` placeholder; `sprintf('…', …)` is read as its
   * format. Undefined when the expression has no string literal at all (SQL built at run time).
   */
  private sqlPieces(from: number, to: number, used: PhpString[]): { text: string; map: number[] }[] | undefined {
    const pieces: { text: string; map: number[] }[] = [];
    let literal = false;
    for (const [a0, b0] of this.concatParts(from, to)) {
      const a = this.nextNonWs(a0);
      const b = this.prevNonWs(b0 - 1) + 1;
      if (a >= b) continue;
      const only = this.stringAt.get(a);
      if (only && only.end === b) {
        pieces.push({ text: only.value, map: only.map });
        used.push(only);
        literal = true;
        continue;
      }
      const fmt = /^\\?v?sprintf\s*\(/i.exec(this.m.slice(a, b));
      if (fmt && this.matchClose(a + fmt[0].length - 1) === b - 1) {
        const first = this.argRanges(a + fmt[0].length - 1, b - 1)[0];
        const inner = first ? this.sqlPieces(first[0], first[1], used) : undefined;
        if (inner) {
          pieces.push(...inner);
          literal = true;
          continue;
        }
      }
      pieces.push(this.placeholder(this.lex.decommented.slice(a, b).slice(0, 60), a));
    }
    return literal ? pieces : undefined;
  }

  /** Expressions assigned to `$name` in this file (`$name = …;`, `$name .= …;`, `$name[] = …;`), or undefined. */
  private assignments(name: string): [number, number][] | undefined {
    const re = new RegExp(`\\$${name}\\s*(?:\\[\\s*\\])?\\s*\\.?=(?![=>])`, 'g');
    const out: [number, number][] = [];
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const from = mt.index + mt[0].length;
      out.push([from, this.exprEnd(from)]);
    }
    return out.length > 0 ? out : undefined;
  }

  /**
   * The SQL a variable holds, when the file shows it: assigned string expressions, arrays of them,
   * or the value variable of a `foreach` over such an array. Undefined when it cannot be read.
   */
  private sqlOfVariable(name: string, used: PhpString[], depth = 0): { text: string; map: number[] }[][] | undefined {
    if (depth > 2) return undefined;
    const out: { text: string; map: number[] }[][] = [];
    const each = new RegExp(`\\bforeach\\s*\\(([^;{}]*?)\\s+as\\s+(?:\\$\\w+\\s*=>\\s*)?\\$${name}\\s*\\)`).exec(this.m);
    let ranges: [number, number][] | undefined;
    if (each) {
      const from = each.index + each[0].indexOf('(') + 1;
      const src = this.m.slice(from, from + each[1]!.length).trim();
      const v = /^\$([A-Za-z_]\w*)$/.exec(src)?.[1];
      if (v) return this.sqlOfVariable(v, used, depth + 1);
      ranges = [[from, from + each[1]!.length]];
    } else ranges = this.assignments(name);
    if (!ranges) return undefined;
    for (const [from, to] of ranges) {
      const a = this.nextNonWs(from);
      if (this.m[a] === '[' || /^array\s*\(/i.test(this.m.slice(a, a + 7))) {
        const open = this.m[a] === '[' ? a : this.m.indexOf('(', a);
        for (const r of this.argRanges(open, this.matchClose(open))) {
          const arrow = this.m.slice(r[0], r[1]).indexOf('=>');
          const p = this.sqlPieces(arrow >= 0 ? r[0] + arrow + 2 : r[0], r[1], used);
          if (p) out.push(p);
        }
        continue;
      }
      const p = this.sqlPieces(from, to, used);
      if (!p) return undefined;
      out.push(p);
    }
    return out;
  }

  /** SQL passed to addSql, DB::statement, DB::unprepared, executeStatement, … */
  private sqlCalls(): void {
    SQL_CALL.lastIndex = 0;
    let mt: RegExpExecArray | null;
    while ((mt = SQL_CALL.exec(this.m))) {
      const open = mt.index + mt[0].length - 1;
      const close = this.matchClose(open);
      const first = this.argRanges(open, close)[0];
      if (!first) continue;
      const callAt = mt.index + mt[0].indexOf(mt[1]!);
      const used: PhpString[] = [];
      const pieces = this.sqlPieces(first[0], first[1], used);
      if (pieces) {
        for (const u of used) this.consumed.add(u);
        this.sqlFrom(pieces, callAt);
        continue;
      }
      if (!DYNAMIC_CALL.test(mt[1]!) || (mt[0].startsWith('::') && !/\bDB\s*$/.test(this.m.slice(Math.max(0, mt.index - 20), mt.index)))) continue;
      const arg = this.m.slice(first[0], first[1]).trim();
      const v = /^\$([A-Za-z_]\w*)$/.exec(arg)?.[1];
      const known = v && v !== 'this' ? this.sqlOfVariable(v, used) : undefined;
      if (known) {
        for (const p of known) if (!p.some((x) => this.sqlSeen.has(x.map[0]!))) {
          p.forEach((x) => this.sqlSeen.add(x.map[0]!));
          this.sqlFrom(p, callAt);
        }
        for (const u of used) this.consumed.add(u);
        continue;
      }
      this.push({ kind: 'dynamic-sql', call: `${mt[1]}(${oneLine(this.lex.decommented.slice(first[0], first[1]), 60)})` }, callAt);
    }
  }

  /** Source offsets of SQL pieces already scanned through a variable (each is scanned once). */
  private readonly sqlSeen = new Set<number>();

  /** Other string literals (and concatenations) that start like destructive SQL. */
  private sqlStrings(): void {
    for (const s of this.lex.strings) {
      if (this.consumed.has(s) || s.kind === 'shell') continue;
      const used: PhpString[] = [];
      const pieces = this.sqlPieces(s.start, this.exprEnd(s.end), used);
      if (!pieces) continue;
      const text = pieces.map((p) => p.text).join('');
      const sqlLabel = s.label !== undefined && /SQL|QUERY/i.test(s.label);
      if (!sqlLabel && !SQL_START.test(text.trimStart())) continue;
      for (const c of used) this.consumed.add(c);
      this.sqlFrom(pieces, s.start);
    }
  }

  // ---- Laravel ------------------------------------------------------------------------------

  /** Schema::drop/dropIfExists/dropColumns/rename/create/table(…). */
  private laravelSchema(): void {
    const re = /\bSchema\s*::\s*(?:connection\s*\([^()]*\)\s*->\s*)?([A-Za-z_]\w*)\s*\(/g;
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const name = mt[1]!.toLowerCase();
      const nameAt = mt.index + mt[0].lastIndexOf(mt[1]!);
      const open = mt.index + mt[0].length - 1;
      const close = this.matchClose(open);
      const args = this.args(open, close);
      const table = normName(args[0]?.str);
      switch (name) {
        case 'create':
        case 'table':
        case 'whentablehascolumn':
        case 'whentabledoesnthavecolumn':
          this.blueprint(open, close, table, name === 'create', nameAt);
          break;
        case 'drop':
        case 'dropifexists':
          this.push({ kind: 'drop-table', tables: [table] }, nameAt);
          break;
        case 'dropcolumns':
          this.push({ kind: 'drop-column', table, columns: (args[1]?.strings ?? []).map((c) => normName(c)!) }, nameAt);
          break;
        case 'rename':
          this.push({ kind: 'rename-table', from: table, to: normName(args[1]?.str) }, nameAt);
          break;
        case 'dropalltables':
        case 'dropallviews':
          this.push({ kind: 'drop-table', tables: [name === 'dropalltables' ? '(every table)' : '(every view)'], view: name === 'dropallviews' }, nameAt);
          break;
        case 'dropdatabaseifexists':
          this.push({ kind: 'drop-database', schema: false, ...(args[0]?.str ? { name: args[0].str } : {}) }, nameAt);
          break;
      }
    }
  }

  /**
   * The closure passed to Schema::create/table — written in the call, or a variable assigned a
   * closure earlier (`$add = fn (Blueprint $t) => $t->text('x'); Schema::table('a', $add);`):
   * its Blueprint parameter and body.
   */
  private closureOf(open: number, close: number): { v: string; bodyStart: number; bodyEnd: number } | undefined {
    const fnRe = /\b(function|fn)\s*\(/g;
    fnRe.lastIndex = open + 1;
    let f = fnRe.exec(this.m);
    if (!f || f.index >= close) {
      const arg = this.argRanges(open, close)[1];
      const name = arg ? /^\$([A-Za-z_]\w*)$/.exec(this.m.slice(arg[0], arg[1]).trim())?.[1] : undefined;
      if (!name) return undefined;
      const assign = new RegExp(`\\$${name}\\s*=\\s*(?:static\\s+)?(function|fn)\\s*\\(`, 'g');
      let last: RegExpExecArray | null = null;
      for (let mt: RegExpExecArray | null; (mt = assign.exec(this.m)) && mt.index < open; ) last = mt;
      if (!last) return undefined;
      fnRe.lastIndex = last.index;
      f = fnRe.exec(this.m);
      if (!f) return undefined;
    }
    const pOpen = f.index + f[0].length - 1;
    const pClose = this.matchClose(pOpen);
    const v = /\$([A-Za-z_]\w*)/.exec(this.m.slice(pOpen, pClose))?.[1];
    if (!v) return undefined;
    if (f[1] === 'function') {
      let i = pClose + 1;
      while (i < this.m.length && this.m[i] !== '{') i++;
      return { v, bodyStart: i + 1, bodyEnd: this.matchClose(i) };
    }
    const arrow = this.m.indexOf('=>', pClose);
    if (arrow < 0) return undefined;
    return { v, bodyStart: arrow + 2, bodyEnd: f.index > close || f.index < open ? this.exprEnd(arrow + 2) : close };
  }

  /** The closure of Schema::create/table: the column operations on its Blueprint. */
  private blueprint(open: number, close: number, table: string | undefined, create: boolean, at: number): void {
    const closure = this.closureOf(open, close);
    const columns: [string, NonNullable<ReturnType<typeof laravelColumns>[number]['def']> | null][] = [];
    const createOp: Op = { kind: 'create-table', table, columns };
    if (create) this.push(createOp, at);
    if (!closure) return;
    const { v, bodyStart, bodyEnd } = closure;
    this.handled.push([bodyStart, bodyEnd]);
    const varRe = new RegExp(`\\$${v}\\b(?=\\s*\\??->)`, 'g');
    varRe.lastIndex = bodyStart;
    let vm: RegExpExecArray | null;
    while ((vm = varRe.exec(this.m)) && vm.index < bodyEnd) {
      const calls = this.chain(vm.index + vm[0].length);
      const head = calls[0];
      if (!head) continue;
      const mods = new Map<string, ArgVal[]>();
      for (const c of calls.slice(1)) mods.set(c.name.toLowerCase(), this.args(c.open, c.close));
      const method = head.name.toLowerCase();
      const args = this.args(head.open, head.close);
      if (LARAVEL_COLUMN_METHODS.has(method)) {
        const defs = laravelColumns(method, args, mods);
        if (create) {
          for (const d of defs) if (d.name !== undefined) columns.push([normName(d.name)!, d.def]);
        } else if (mods.has('change')) {
          for (const d of defs) this.push({ kind: 'modify-column', table, column: normName(d.name), how: 'define', def: d.def }, head.nameAt);
        } else {
          for (const d of defs) this.push({ kind: 'add-column', table, column: normName(d.name), def: d.def }, head.nameAt);
        }
        continue;
      }
      if (create) continue;
      this.alterCall(method, args, table, head.nameAt);
    }
  }

  /** One call on the Blueprint of Schema::table other than a column definition: drops and renames. */
  private alterCall(method: string, args: ArgVal[], table: string | undefined, at: number): void {
    const drop = (cols: (string | undefined)[]): void => {
      this.push({ kind: 'drop-column', table, columns: cols.filter((c): c is string => c !== undefined).map((c) => normName(c)!) }, at);
    };
    const a0 = args[0]?.str;
    switch (method) {
      case 'dropcolumn':
      case 'dropcolumns':
      case 'removecolumn':
        drop(args.flatMap((a) => a.strings));
        break;
      case 'droptimestamps':
      case 'droptimestampstz':
      case 'dropdatetimes':
        drop(['created_at', 'updated_at']);
        break;
      case 'dropsoftdeletes':
      case 'dropsoftdeletestz':
        drop([a0 ?? 'deleted_at']);
        break;
      case 'dropremembertoken':
        drop(['remember_token']);
        break;
      case 'dropmorphs':
        drop(a0 ? [`${a0}_type`, `${a0}_id`] : []);
        break;
      case 'dropconstrainedforeignid':
        drop([a0]);
        break;
      case 'dropconstrainedforeignidfor':
        drop([args[1]?.str]);
        break;
      case 'renamecolumn':
        this.push({ kind: 'rename-column', table, from: normName(a0), to: normName(args[1]?.str) }, at);
        break;
      case 'rename':
        this.push({ kind: 'rename-table', from: table, to: normName(a0) }, at);
        break;
      case 'drop':
      case 'dropifexists':
        this.push({ kind: 'drop-table', tables: [table] }, at);
        break;
    }
  }

  /** DB::table('x')->truncate() / ->delete() / ->update([...]) without a where. */
  private queryBuilder(): void {
    const re = /\bDB\s*::\s*(?:connection\s*\([^()]*\)\s*->\s*)?table\s*\(/g;
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const open = mt.index + mt[0].length - 1;
      const close = this.matchClose(open);
      const table = normName(this.args(open, close)[0]?.str);
      const calls = this.chain(close + 1);
      this.handled.push([mt.index, calls.at(-1)?.close ?? close]);
      let filtered = false;
      for (const c of calls) {
        const n = c.name.toLowerCase();
        if (/^(?:or)?where|^find|^wherekey/.test(n)) filtered = true;
        if (n === 'truncate') this.push({ kind: 'truncate', tables: [table] }, c.nameAt);
        else if (n === 'insertusing') this.push({ kind: 'copy-into', table }, c.nameAt);
        else if (n === 'delete' && !filtered && this.argRanges(c.open, c.close).length === 0) this.push({ kind: 'delete-all', table }, c.nameAt);
        else if ((n === 'update' || n === 'increment' || n === 'decrement') && !filtered) {
          const [first] = this.argRanges(c.open, c.close);
          let columns: string[] = [];
          if (first && n === 'update') {
            columns = this.stringsIn(first[0], first[1])
              .filter((s) => this.m.slice(this.nextNonWs(s.end), this.nextNonWs(s.end) + 2) === '=>')
              .map((s) => normName(s.value)!);
          } else if (first) columns = this.argVal(first).str !== undefined ? [normName(this.argVal(first).str)!] : [];
          this.push({ kind: 'update-all', table, columns }, c.nameAt);
        }
      }
    }
  }

  // ---- Doctrine schema API and the rest -------------------------------------------------------

  /** A table name argument: the literal, or the code that computes it as a `{…}` placeholder (e.g. `$this->getTable('x')`). */
  private tableArg(open: number): string | undefined {
    const close = this.matchClose(open);
    const first = this.argRanges(open, close)[0];
    if (!first) return undefined;
    const v = this.argVal(first);
    if (v.str !== undefined) return normName(v.str);
    const code = this.lex.decommented.slice(first[0], first[1]).replace(/[\s{}'";`]+/g, '');
    return code === '' ? undefined : `{${code}}`;
  }

  /** The table a Doctrine `$table->…` call works on: `$schema->getTable('x')->…` or `$t = $schema->getTable('x')` (computed names too). */
  private receiverTable(at: number): string | undefined {
    const start = this.stmtStart(at);
    const head = this.m.slice(start, at);
    const call = /->\s*(?:getTable|createTable)\s*\(/g;
    let direct: RegExpExecArray | null = null;
    for (let mt: RegExpExecArray | null; (mt = call.exec(head)); ) direct = mt;
    if (direct) return this.tableArg(start + direct.index + direct[0].length - 1);
    const v = /^\$([A-Za-z_]\w*)\s*$/.exec(head)?.[1];
    if (!v) return undefined;
    const assign = new RegExp(`\\$${v}\\s*=\\s*\\$[A-Za-z_]\\w*\\s*->\\s*(?:getTable|createTable)\\s*\\(`, 'g');
    let found: number | undefined;
    let mt: RegExpExecArray | null;
    while ((mt = assign.exec(this.m)) && mt.index < at) found = mt.index + mt[0].length - 1;
    return found === undefined ? undefined : this.tableArg(found);
  }

  /** The column a `->getColumn('x')` call names, and its table. */
  private columnSetters(): void {
    const re = /->\s*getColumn\s*\(/g;
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const at = mt.index + mt[0].indexOf('getColumn');
      if (this.isHandled(at)) continue;
      const open = mt.index + mt[0].length - 1;
      const close = this.matchClose(open);
      const column = normName(this.args(open, close)[0]?.str);
      const table = this.receiverTable(mt.index);
      let calls = this.chain(close + 1);
      if (calls.length === 0) {
        // $c = $table->getColumn('x'); $c->setLength(64); …
        const start = this.stmtStart(mt.index);
        const v = /^\$([A-Za-z_]\w*)\s*=(?!=)/.exec(this.m.slice(start, mt.index))?.[1];
        if (!v) continue;
        const use = new RegExp(`\\$${v}\\b(?=\\s*->\\s*set)`, 'g');
        use.lastIndex = close;
        for (let u: RegExpExecArray | null; (u = use.exec(this.m)); ) calls = calls.concat(this.chain(u.index + u[0].length));
      }
      const set = partialFromSetters(calls.map((c) => ({ name: c.name, args: this.args(c.open, c.close) })));
      if (set) this.push({ kind: 'alter-column', table, column, set }, calls[0]!.nameAt);
    }
  }

  private generic(): void {
    const re = /(->|::)\s*(dropColumn|dropColumns|renameColumn|change|dropTable|renameTable|changeColumn|modifyColumn|addColumn|truncate|createTable)\s*\(/gi;
    let mt: RegExpExecArray | null;
    while ((mt = re.exec(this.m))) {
      const at = mt.index + mt[0].indexOf(mt[2]!);
      if (this.isHandled(at)) continue;
      const open = mt.index + mt[0].length - 1;
      const close = this.matchClose(open);
      const args = this.args(open, close);
      const a0 = normName(args[0]?.str);
      const name = mt[2]!.toLowerCase();
      if (mt[1] === '::') {
        // Model::truncate()
        if (name === 'truncate' && args.length === 0) {
          const cls = /([A-Za-z_]\w*)\s*::\s*$/.exec(this.m.slice(Math.max(0, mt.index - 100), mt.index + 2))?.[1];
          if (cls && cls !== 'Schema') this.push({ kind: 'truncate', tables: [`${cls} (model)`] }, at);
        }
        continue;
      }
      switch (name) {
        case 'createtable':
          this.push({ kind: 'create-table', table: this.tableArg(open), columns: [] }, at);
          break;
        case 'droptable':
          this.push({ kind: 'drop-table', tables: [a0] }, at);
          break;
        case 'renametable':
          this.push({ kind: 'rename-table', from: a0, to: normName(args[1]?.str) }, at);
          break;
        case 'dropcolumn':
        case 'dropcolumns':
          this.push({ kind: 'drop-column', table: this.receiverTable(mt.index), columns: args.flatMap((a) => a.strings).map((c) => normName(c)!) }, at);
          break;
        case 'renamecolumn':
          this.push({ kind: 'rename-column', table: this.receiverTable(mt.index), from: a0, to: normName(args[1]?.str) }, at);
          break;
        case 'change':
          if (args.length === 0) this.push({ kind: 'modify-column', table: undefined, column: undefined, how: 'define' }, at);
          break;
        case 'changecolumn':
        case 'modifycolumn': {
          const set = args[1] ? partialFromOptions(args[1].raw) : undefined;
          if (set) this.push({ kind: 'alter-column', table: this.receiverTable(mt.index), column: a0, set }, at);
          else this.push({ kind: 'modify-column', table: this.receiverTable(mt.index), column: a0, how: 'define' }, at);
          break;
        }
        case 'addcolumn': {
          const end = this.stmtEnd(at);
          const def = doctrineColumn(args[1]?.str, args[2]?.raw ?? '', this.lex.decommented.slice(close, end));
          this.push({ kind: 'add-column', table: this.receiverTable(mt.index), column: a0, def }, at);
          break;
        }
        case 'truncate':
          if (args.length === 0) this.push({ kind: 'truncate', tables: [undefined] }, at);
          break;
      }
    }
  }

  scan(): FileScan {
    this.sqlCalls();
    this.sqlStrings();
    this.laravelSchema();
    this.queryBuilder();
    this.generic();
    this.columnSetters();
    const ops = this.ops.map((o, i) => ({ o, i })).sort((a, b) => a.o.at - b.o.at || a.i - b.i).map((x) => x.o);
    return { ops, comments: this.comments, layers: this.layers };
  }
}

/** The schema operations of a PHP migration, in source order. */
export function scanPhpMigration(src: string, lines = new LineIndex(src)): FileScan {
  return new PhpScanner(src, lines).scan();
}

/** The schema operations of a SQL migration, in order. */
export function scanSqlMigration(src: string, lines = new LineIndex(src)): FileScan {
  const { lex, items } = scanSqlText(src);
  const code = new Set<number>();
  const comment = new Set<number>();
  const comments: MarkerComment[] = [];
  for (const t of lex.tokens) if (t.type !== 'end') addRange(code, lines.lineOf(t.s), lines.lineOf(Math.max(t.s, t.e - 1)));
  for (const c of lex.comments) {
    addRange(comment, lines.lineOf(c.s), lines.lineOf(Math.max(c.s, c.e - 1)));
    let off = c.s;
    for (const part of c.text.split('\n')) {
      comments.push({ layer: 'sql:0', line: lines.lineOf(off), text: part });
      off += part.length + 1;
    }
  }
  const ops: SourceOp[] = items.map((it) => ({
    op: it.op,
    at: it.at,
    line: lines.lineOf(it.at),
    statement: oneLine(statementText(lex, it.statement)),
    scopes: [{ layer: 'sql:0', start: lines.lineOf(it.statement.s), end: lines.lineOf(it.statement.e - 1) }],
    inDown: false,
  }));
  return { ops, comments, layers: new Map([['sql:0', { code, comment }]]) };
}
