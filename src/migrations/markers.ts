/**
 * Explicit permission for one destructive statement:
 *
 *   -- php-deploy: allow-destructive <reason>       (SQL; same line, or the comment lines right above)
 *   // php-deploy: allow-destructive <reason>       (PHP; same)
 *   // php-deploy: allow-destructive-file <reason>  (anywhere in a comment in the first 20 lines: the whole file)
 *
 * The reason is required: a marker without one allows nothing and is a finding of its own.
 */
import { verdictOf } from './rules.js';
import type { Finding, LayerLines, LocatedHit, MarkerComment } from './types.js';

export const MARKER = 'php-deploy: allow-destructive';
export const FILE_MARKER = 'php-deploy: allow-destructive-file';
/** A file marker must be within this many lines from the top. */
export const FILE_MARKER_LINES = 20;

interface Marker {
  layer: string;
  line: number;
  file: boolean;
  reason?: string;
  text: string;
}

const MARKER_RE = /php-deploy:\s*allow-destructive(-file)?(?![\w-])([^\n]*)/gi;

function reasonOf(rest: string): string | undefined {
  const r = rest
    .replace(/\*+\/.*$/, '') // end of a block comment
    .replace(/-->.*$/, '')
    .trim()
    .replace(/^[:=\-–—]+/, '')
    .trim();
  return /[\p{L}\p{N}]/u.test(r) ? r : undefined;
}

function markersIn(comments: readonly MarkerComment[]): Marker[] {
  const out: Marker[] = [];
  for (const c of comments) {
    const lines = c.text.split('\n');
    lines.forEach((lineText, k) => {
      MARKER_RE.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = MARKER_RE.exec(lineText))) {
        const reason = reasonOf(m[2]!);
        out.push({ layer: c.layer, line: c.line + k, file: m[1] !== undefined, text: m[0].trim(), ...(reason ? { reason } : {}) });
      }
    });
  }
  return out;
}

/** Whether a marker on `line` is on the statement's lines or in the comment lines right above them. */
function covers(line: number, scope: { start: number; end: number }, lines: LayerLines | undefined): boolean {
  if (line >= scope.start && line <= scope.end) return true;
  if (line > scope.start || !lines) return false;
  if (lines.code.has(line)) return false; // a trailing comment belongs to the code on its line
  for (let l = line + 1; l < scope.start; l++) {
    if (lines.code.has(l) || !lines.comment.has(l)) return false;
  }
  return true;
}

/** Applies the markers in the comments to the hits of one file; adds findings for bad markers. */
export function applyMarkers(
  path: string,
  hits: readonly LocatedHit[],
  comments: readonly MarkerComment[],
  layers: ReadonlyMap<string, LayerLines>,
): Finding[] {
  const markers = markersIn(comments);
  const findings: Finding[] = [];
  const fileMarker = markers.find((m) => m.file && m.reason !== undefined && m.line <= FILE_MARKER_LINES);
  for (const h of hits) {
    let reason = fileMarker?.reason;
    if (reason === undefined) {
      const m = markers.find(
        (mk) => !mk.file && mk.reason !== undefined && h.scopes.some((s) => s.layer === mk.layer && covers(mk.line, s, layers.get(mk.layer))),
      );
      reason = m?.reason;
    }
    findings.push({
      path,
      line: h.line,
      statement: h.statement,
      rule: h.rule,
      verdict: verdictOf(h.rule),
      message: h.message,
      ...(reason !== undefined ? { allowed: { reason } } : {}),
    });
  }
  for (const m of markers) {
    if (m.reason === undefined) {
      findings.push({
        path,
        line: m.line,
        statement: m.text.slice(0, 160),
        rule: 'marker-without-reason',
        verdict: 'destructive',
        message: `"${m.file ? FILE_MARKER : MARKER}" needs a reason after it (e.g. "${m.file ? FILE_MARKER : MARKER} users.legacy_flag is unused since 2.3"); without one it allows nothing`,
      });
    } else if (m.file && m.line > FILE_MARKER_LINES) {
      findings.push({
        path,
        line: m.line,
        statement: m.text.slice(0, 160),
        rule: 'misplaced-marker',
        verdict: 'destructive',
        message: `"${FILE_MARKER}" counts only in the first ${FILE_MARKER_LINES} lines of the file; move it up, or use "${MARKER} <reason>" at the statement`,
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}
