<?php

declare(strict_types=1);

namespace App;

/** One piece of the page; reports the release of the file it was loaded from. */
final class PartA
{
    public static function render(): string
    {
        $release = basename(dirname(__DIR__));

        return '<p class="part">part-a release=' . htmlspecialchars($release) . '</p>';
    }
}
