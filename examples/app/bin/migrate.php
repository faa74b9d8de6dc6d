<?php

declare(strict_types=1);

// Applies pending migrations/*.sql in name order (recorded in schema_migrations); idempotent.
// Usage: php bin/migrate.php   (reads <release>/.env; exits non-zero on failure)

require dirname(__DIR__) . '/vendor/autoload.php';

use App\Database;
use App\Migrator;
use App\Release;

if (PHP_SAPI !== 'cli') {
    exit(1);
}

try {
    $migrator = new Migrator(Database::connect(Release::env()), Release::root() . '/migrations');
    $applied = $migrator->migrate(static function (string $name): void {
        echo "applied $name\n";
    });
    if ($applied === []) {
        echo "nothing to migrate\n";
    }
    exit(0);
} catch (Throwable $e) {
    fwrite(STDERR, 'migrate: ' . $e->getMessage() . "\n");
    exit(1);
}
