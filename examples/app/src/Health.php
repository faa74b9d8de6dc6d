<?php

declare(strict_types=1);

namespace App;

use Memcached;
use PDO;
use RuntimeException;
use Throwable;

/** GET /health: database, memcached and migrations, each "ok" or the reason it failed. */
final class Health
{
    /** @return array{0: int, 1: array<string, mixed>} HTTP status and JSON body */
    public static function check(): array
    {
        $checks = ['database' => 'ok', 'memcached' => 'ok', 'migrations' => 'ok'];
        $pdo = null;
        try {
            $env = Release::env();
        } catch (Throwable $e) {
            $env = null;
            $checks = array_fill_keys(array_keys($checks), 'error: ' . $e->getMessage());
        }

        if ($env !== null) {
            try {
                $pdo = Database::connect($env);
                if ((int) $pdo->query('SELECT 1')->fetchColumn() !== 1) {
                    throw new RuntimeException('SELECT 1 returned something else');
                }
            } catch (Throwable $e) {
                $pdo = null;
                $checks['database'] = 'error: ' . $e->getMessage();
            }

            try {
                self::memcached($env);
            } catch (Throwable $e) {
                $checks['memcached'] = 'error: ' . $e->getMessage();
            }

            if ($pdo === null) {
                $checks['migrations'] = 'error: database unavailable';
            } else {
                try {
                    $migrator = new Migrator($pdo, Release::root() . '/migrations');
                    if (!$migrator->tableExists()) {
                        throw new RuntimeException('schema_migrations table missing (run bin/migrate.php)');
                    }
                    $pending = $migrator->pending();
                    if ($pending !== []) {
                        throw new RuntimeException('pending: ' . implode(', ', $pending));
                    }
                } catch (Throwable $e) {
                    $checks['migrations'] = 'error: ' . $e->getMessage();
                }
            }
        }

        $ok = !array_filter($checks, static fn (string $result): bool => $result !== 'ok');

        return [$ok ? 200 : 503, [
            'status' => $ok ? 'ok' : 'error',
            'release' => Release::name(),
            'release_path' => Release::path(),
            'version' => Release::version(),
            'checks' => $checks,
        ]];
    }

    /** @param array<string, string> $env */
    private static function memcached(array $env): void
    {
        if (!class_exists(Memcached::class)) {
            throw new RuntimeException('the memcached extension is not loaded');
        }
        $memcached = new Memcached();
        $memcached->setOption(Memcached::OPT_CONNECT_TIMEOUT, 1000);
        $memcached->setOption(Memcached::OPT_POLL_TIMEOUT, 1000);
        $memcached->setOption(Memcached::OPT_RETRY_TIMEOUT, 1);
        $memcached->addServer($env['MEMCACHED_HOST'] ?? '127.0.0.1', (int) ($env['MEMCACHED_PORT'] ?? 11211));

        $key = 'health:' . bin2hex(random_bytes(8));
        $value = Release::name() . ':' . microtime(true);
        if (!$memcached->set($key, $value, 60)) {
            throw new RuntimeException('set failed: ' . $memcached->getResultMessage());
        }
        $read = $memcached->get($key);
        $memcached->delete($key);
        if ($read !== $value) {
            throw new RuntimeException('get did not return what was set: ' . $memcached->getResultMessage());
        }
    }
}
