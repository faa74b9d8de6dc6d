import type { RuleId, Verdict } from './rules.js';

/** One statement of a migration that would break the live release (and a rollback to it). */
export interface Finding {
  /** The migration, as given (relative, `/`-separated). */
  path: string;
  /** 1-based line of the offending code. */
  line: number;
  /** The offending statement: one line, trimmed, at most 160 characters. */
  statement: string;
  rule: RuleId;
  /** `destructive`: it breaks the live release; `cannot-vouch`: php-deploy cannot tell. */
  verdict: Verdict;
  /** Why it breaks the live release or a rollback (or why php-deploy cannot tell). */
  message: string;
  /** Present when a `php-deploy: allow-destructive <reason>` marker allows it. */
  allowed?: { reason: string };
}

/** A finding before markers are applied: where it is, for matching markers to it. */
export interface LocatedHit {
  rule: RuleId;
  message: string;
  line: number;
  statement: string;
  /**
   * Line ranges (1-based, inclusive) of the statement in each comment layer: `php` for PHP
   * comments, `sql:<n>` for SQL comments inside the n-th SQL text. A marker in that layer on one
   * of these lines, or in the comment lines right above the first, allows the finding.
   */
  scopes: { layer: string; start: number; end: number }[];
}

/** Lines with code and lines with comments, per comment layer. */
export interface LayerLines {
  code: Set<number>;
  comment: Set<number>;
}

export interface MarkerComment {
  layer: string;
  /** 1-based line of the marker. */
  line: number;
  text: string;
}

/** Maps source offsets to 1-based line numbers. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Collapses whitespace and cuts to at most 160 characters. */
export function oneLine(s: string, max = 160): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1).trimEnd()}…`;
}
