<?php

declare(strict_types=1);

namespace App;

use PDO;

final class Database
{
    /** @param array<string, string> $env */
    public static function connect(array $env): PDO
    {
        $dsn = sprintf(
            'mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4',
            $env['DB_HOST'] ?? '127.0.0.1',
            (int) ($env['DB_PORT'] ?? 3306),
            $env['DB_NAME'] ?? 'app',
        );

        return new PDO($dsn, $env['DB_USER'] ?? 'app', $env['DB_PASSWORD'] ?? '', [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
            PDO::ATTR_TIMEOUT => 3,
        ]);
    }
}
