<?php

declare(strict_types=1);

namespace App;

use RuntimeException;

/**
 * A tiny .env reader: KEY=VALUE lines, blank lines and # comments, an optional "export " prefix,
 * values optionally in single or double quotes (double quotes understand \n, \" and \\).
 * Values are returned, not put into the process environment (php-fpm workers are shared).
 */
final class Env
{
    /** @return array<string, string> */
    public static function load(string $path): array
    {
        if (!is_file($path) || !is_readable($path)) {
            throw new RuntimeException("configuration file missing or unreadable: $path");
        }
        $contents = file_get_contents($path);
        if ($contents === false) {
            throw new RuntimeException("cannot read $path");
        }

        return self::parse($contents);
    }

    /** @return array<string, string> */
    public static function parse(string $contents): array
    {
        $values = [];
        foreach (preg_split('/\R/', $contents) ?: [] as $number => $line) {
            $line = trim($line);
            if ($line === '' || $line[0] === '#') {
                continue;
            }
            if (!preg_match('/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/', $line, $m)) {
                throw new RuntimeException(sprintf('.env line %d is not KEY=VALUE', $number + 1));
            }
            $values[$m[1]] = self::value($m[2]);
        }

        return $values;
    }

    private static function value(string $raw): string
    {
        if ($raw === '') {
            return '';
        }
        $quote = $raw[0];
        if ($quote === '"' || $quote === "'") {
            $end = strpos($raw, $quote, 1);
            while ($quote === '"' && $end !== false && self::escaped($raw, $end)) {
                $end = strpos($raw, $quote, $end + 1);
            }
            if ($end === false) {
                throw new RuntimeException('.env value has an unterminated quote: ' . $raw);
            }
            $value = substr($raw, 1, $end - 1);

            return $quote === '"'
                ? strtr($value, ['\\n' => "\n", '\\"' => '"', '\\\\' => '\\'])
                : $value;
        }
        // Unquoted: a " #" starts a comment.
        $value = preg_replace('/\s+#.*$/', '', $raw) ?? $raw;

        return rtrim($value);
    }

    private static function escaped(string $raw, int $pos): bool
    {
        $backslashes = 0;
        for ($i = $pos - 1; $i >= 0 && $raw[$i] === '\\'; $i--) {
            $backslashes++;
        }

        return $backslashes % 2 === 1;
    }
}
