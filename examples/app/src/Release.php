<?php

declare(strict_types=1);

namespace App;

/**
 * The release this code belongs to, computed from this file's own location
 * (<release>/src/Release.php), never from the "current" symlink.
 */
final class Release
{
    public static function root(): string
    {
        return dirname(__DIR__);
    }

    /** The release directory's name, e.g. "20240101120000-abc1234". */
    public static function name(): string
    {
        return basename(self::root());
    }

    /** The release directory with every symlink resolved. */
    public static function path(): string
    {
        return realpath(self::root()) ?: self::root();
    }

    public static function version(): string
    {
        $version = require self::root() . '/config/version.php';

        return is_string($version) ? $version : (string) json_encode($version);
    }

    /** @return array<string, string> the release's .env (a link to the site's shared one). */
    public static function env(): array
    {
        return Env::load(self::root() . '/.env');
    }

    public static function log(string $message): void
    {
        $dir = self::root() . '/storage/logs';
        if (is_dir($dir) && is_writable($dir)) {
            error_log(sprintf("[%s] %s %s\n", date('c'), self::name(), $message), 3, $dir . '/app.log');
        } else {
            error_log($message);
        }
    }
}
