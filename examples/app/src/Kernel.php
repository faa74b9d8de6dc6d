<?php

declare(strict_types=1);

namespace App;

use PDO;

/** Routes a request and sends the response. */
final class Kernel
{
    public static function handle(string $method, string $uri): void
    {
        $path = parse_url($uri, PHP_URL_PATH);
        $path = is_string($path) ? $path : '/';
        header('X-Release: ' . Release::name());
        header('Cache-Control: no-store');

        $routes = [
            '/' => ['GET' => self::home(...)],
            '/health' => ['GET' => self::health(...)],
            '/visits' => ['GET' => self::visits(...), 'POST' => self::visits(...)],
        ];
        if (!isset($routes[$path])) {
            self::text(404, "Not Found\n");

            return;
        }
        $handler = $routes[$path][$method === 'HEAD' ? 'GET' : $method] ?? null;
        if ($handler === null) {
            header('Allow: ' . implode(', ', array_keys($routes[$path])));
            self::text(405, "Method Not Allowed\n");

            return;
        }
        $handler($method);
    }

    private static function home(): void
    {
        $release = htmlspecialchars(Release::name());
        $version = htmlspecialchars(Release::version());
        $partA = PartA::render();
        $partB = PartB::render();
        header('Content-Type: text/html; charset=utf-8');
        echo <<<HTML
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Example app {$version}</title></head>
            <body>
            <h1>Example app</h1>
            <p class="release">release={$release}</p>
            <p class="version">version={$version}</p>
            {$partA}
            {$partB}
            </body>
            </html>

            HTML;
    }

    private static function health(): void
    {
        [$status, $body] = Health::check();
        self::json($status, $body);
    }

    /** GET: how many visits were recorded; POST: record one more. */
    private static function visits(string $method): void
    {
        $pdo = Database::connect(Release::env());
        if ($method === 'POST') {
            $pdo->prepare('INSERT INTO visits (release_name) VALUES (?)')->execute([Release::name()]);
        }
        $count = (int) $pdo->query('SELECT COUNT(*) FROM visits')->fetchColumn();
        self::json($method === 'POST' ? 201 : 200, ['visits' => $count, 'release' => Release::name()]);
    }

    /** @param array<string, mixed> $body */
    public static function json(int $status, array $body): void
    {
        http_response_code($status);
        header('Content-Type: application/json');
        echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR), "\n";
    }

    public static function text(int $status, string $body): void
    {
        http_response_code($status);
        header('Content-Type: text/plain; charset=utf-8');
        echo $body;
    }
}
