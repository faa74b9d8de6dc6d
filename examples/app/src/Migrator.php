<?php

declare(strict_types=1);

namespace App;

use PDO;
use RuntimeException;
use Throwable;

/** Applies migrations/*.sql in name order, recording each in schema_migrations. */
final class Migrator
{
    private const LOCK = 'example_app_migrations';

    public function __construct(private readonly PDO $pdo, private readonly string $dir)
    {
    }

    /** @return list<string> migration names (file names), sorted */
    public function available(): array
    {
        $files = glob($this->dir . '/*.sql') ?: [];
        $names = array_map('basename', $files);
        sort($names, SORT_STRING);

        return $names;
    }

    public function tableExists(): bool
    {
        return $this->pdo->query("SHOW TABLES LIKE 'schema_migrations'")->fetchColumn() !== false;
    }

    /** @return list<string> */
    public function applied(): array
    {
        if (!$this->tableExists()) {
            return [];
        }

        return array_map('strval', $this->pdo->query('SELECT name FROM schema_migrations ORDER BY name')
            ->fetchAll(PDO::FETCH_COLUMN));
    }

    /** @return list<string> */
    public function pending(): array
    {
        return array_values(array_diff($this->available(), $this->applied()));
    }

    /**
     * @param callable(string): void $onApplied
     * @return list<string> the migrations applied now
     */
    public function migrate(callable $onApplied): array
    {
        if ((int) $this->pdo->query("SELECT GET_LOCK('" . self::LOCK . "', 30)")->fetchColumn() !== 1) {
            throw new RuntimeException('another migration run holds the lock');
        }
        try {
            $this->pdo->exec(
                'CREATE TABLE IF NOT EXISTS schema_migrations ('
                . ' name VARCHAR(255) NOT NULL PRIMARY KEY,'
                . ' applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP'
                . ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
            );
            $done = [];
            foreach ($this->pending() as $name) {
                $sql = file_get_contents($this->dir . '/' . $name);
                if ($sql === false) {
                    throw new RuntimeException("cannot read migration $name");
                }
                try {
                    foreach (self::statements($sql) as $statement) {
                        $this->pdo->exec($statement);
                    }
                } catch (Throwable $e) {
                    throw new RuntimeException("migration $name failed: " . $e->getMessage(), 0, $e);
                }
                $this->pdo->prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, NOW())')
                    ->execute([$name]);
                $done[] = $name;
                $onApplied($name);
            }

            return $done;
        } finally {
            $this->pdo->query("SELECT RELEASE_LOCK('" . self::LOCK . "')");
        }
    }

    /** @return list<string> statements separated by ";" at the end of a line */
    public static function statements(string $sql): array
    {
        $statements = [];
        foreach (preg_split('/;[ \t]*(?:\R|$)/', $sql) ?: [] as $chunk) {
            $code = trim(preg_replace('/^\s*--.*$/m', '', $chunk) ?? $chunk);
            if ($code !== '') {
                $statements[] = $code;
            }
        }

        return $statements;
    }
}
