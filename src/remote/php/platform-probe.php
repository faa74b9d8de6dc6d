<?php
// Probe of the PHP platform (version, SAPI and extensions) for the php-fpm pool and for the CLI; one JSON line.
echo json_encode(["php" => PHP_VERSION, "sapi" => PHP_SAPI, "extensions" => array_map("strtolower", get_loaded_extensions())]);
