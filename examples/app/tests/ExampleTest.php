<?php

declare(strict_types=1);

// Placeholder test: kept out of releases by .deployignore.
require dirname(__DIR__) . '/vendor/autoload.php';

$env = App\Env::parse("A=1\n# comment\nB=\"two words\"\nexport C='x#y' # trailing\n");
if ($env !== ['A' => '1', 'B' => 'two words', 'C' => 'x#y']) {
    fwrite(STDERR, 'Env::parse failed: ' . var_export($env, true) . "\n");
    exit(1);
}
echo "ok\n";
