import { describe, expect, test } from 'vitest';
import { lexPhp } from '../../../src/migrations/php-lex.js';
import { lexSql } from '../../../src/migrations/sql-lex.js';

describe('lexPhp', () => {
  test('masks comments and string contents, keeps offsets and newlines', () => {
    const src = "<?php\n$a = 'x; // y'; // note\n/* a\n b */ $b = \"z\";";
    const lex = lexPhp(src);
    expect(lex.masked.length).toBe(src.length);
    expect(lex.masked).toBe("     \n$a = '       ';        \n    \n      $b = ' ';");
    expect(lex.decommented).toBe("     \n$a = 'x; // y';        \n    \n      $b = \"z\";");
    expect(lex.strings.map((s) => s.value)).toEqual(['x; // y', 'z']);
    expect(lex.comments.map((c) => c.text)).toEqual(['// note', '/* a\n b */']);
  });

  test('decodes escapes and maps every character to its source offset', () => {
    const src = `<?php "a\\tb\\x41\\u{1F600}\\\\\\"" . 'it\\'s \\n';`;
    const [d, s] = lexPhp(src).strings;
    expect(d!.value).toBe('a\tbA😀\\"');
    expect(s!.value).toBe("it's \\n");
    expect(d!.map.length).toBe(d!.value.length);
    expect(src[d!.map[0]!]).toBe('a');
    expect(src[s!.map[3]!]).toBe('s');
  });

  test('interpolations become one {…} placeholder', () => {
    const src = '<?php "A $x B {$this->t} C ${y} D $arr[1] E $o->p F";';
    expect(lexPhp(src).strings[0]!.value).toBe('A {$x} B {$this->t} C {$y} D {$arr[1]} E {$o->p} F');
  });

  test('heredoc (indented closing label, PHP 7.3+) and nowdoc', () => {
    const src = "<?php\n$a = <<<SQL\n    DROP {$t};\n    SQL;\n$b = <<<'X'\n  raw $v\nX;\n$c = 1;";
    const lex = lexPhp(src);
    expect(lex.strings.map((s) => [s.kind, s.label, s.value])).toEqual([
      ['heredoc', 'SQL', '    DROP {$t};'],
      ['nowdoc', 'X', '  raw $v'],
    ]);
    expect(lex.masked.split('\n').at(-1)).toBe('$c = 1;');
  });

  test('#[ is an attribute, # a comment, ?> ends a line comment and PHP', () => {
    const lex = lexPhp("<?php #[Attr]\n# c\n// d ?> html 'x' <?php $e;");
    expect(lex.comments.map((c) => c.text)).toEqual(['# c', '// d ']);
    expect(lex.strings).toEqual([]);
    expect(lex.masked).toContain('#[Attr]');
    expect(lex.masked).toContain('$e;');
  });
});

describe('lexSql', () => {
  const statements = (sql: string): string[] => {
    const lex = lexSql(sql);
    return lex.statements.map((s) => sql.slice(s.s, s.e));
  };

  test('splits at ; outside strings, identifiers and comments', () => {
    expect(statements("INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`); -- x;y\nSELECT 1 /* ; */; SELECT 'it''s; \\';'")).toEqual([
      "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`)",
      'SELECT 1',
      "SELECT 'it''s; \\';'",
    ]);
  });

  test('DELIMITER and routine bodies', () => {
    expect(statements('DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\nDELIMITER ;\nSELECT 3;')).toEqual([
      'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END',
      'SELECT 3',
    ]);
    expect(statements('CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN IF 1 THEN SET @a = 1; END IF; END; SELECT 4;')).toEqual([
      'CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN IF 1 THEN SET @a = 1; END IF; END',
      'SELECT 4',
    ]);
    expect(statements('BEGIN; DELETE FROM x WHERE a; COMMIT;')).toEqual(['BEGIN', 'DELETE FROM x WHERE a', 'COMMIT']);
  });

  test('dollar quoting and casts', () => {
    expect(statements("DO $$ BEGIN PERFORM 1; END $$; SELECT a::text FROM t; SELECT $1;")).toEqual([
      'DO $$ BEGIN PERFORM 1; END $$',
      'SELECT a::text FROM t',
      'SELECT $1',
    ]);
  });

  test('quoted identifiers are never keywords; placeholders glue to words', () => {
    const lex = lexSql('ALTER TABLE `drop` DROP "column" , DROP {$p}_x', { php: true });
    expect(lex.tokens.map((t) => `${t.type}:${t.up || t.text}`)).toEqual([
      'word:ALTER', 'word:TABLE', 'qident:drop', 'word:DROP', 'qident:column', 'punct:,', 'word:DROP', 'ph:{$p}_x',
    ]);
    expect(lexSql("x %s %1$s", { php: true }).tokens.map((t) => t.type)).toEqual(['word', 'ph', 'ph']);
  });
});
