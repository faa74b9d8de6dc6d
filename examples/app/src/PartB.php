<?php

declare(strict_types=1);

namespace App;

/** Another piece of the page; reports the release of the file it was loaded from. */
final class PartB
{
    public static function render(): string
    {
        $release = basename(dirname(__DIR__));

        return '<p class="part">part-b release=' . htmlspecialchars($release) . '</p>';
    }
}
