<?php

declare(strict_types=1);

// Front controller. Everything is loaded relative to this file, so one request is served by one
// release even while "current" is switched to another.

require dirname(__DIR__) . '/vendor/autoload.php';

use App\Kernel;
use App\Release;

set_exception_handler(static function (Throwable $e): void {
    Release::log('uncaught ' . $e::class . ': ' . $e->getMessage() . ' at ' . $e->getFile() . ':' . $e->getLine());
    if (!headers_sent()) {
        Kernel::text(500, "Internal Server Error\n");
    }
});

Kernel::handle($_SERVER['REQUEST_METHOD'] ?? 'GET', $_SERVER['REQUEST_URI'] ?? '/');
