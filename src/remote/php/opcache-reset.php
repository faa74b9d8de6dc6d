<?php
// Run by the php-fpm pool (opcache-reset): clears the pool's OPcache, which every worker of the pool shares; one JSON line.
if (!function_exists('opcache_reset')) {
    echo json_encode(['loaded' => false]);
    return;
}
$status = @opcache_get_status(false);
$enabled = is_array($status) && !empty($status['opcache_enabled']);
$reset = $enabled ? @opcache_reset() : false;
$error = error_get_last();
echo json_encode(['loaded' => true, 'enabled' => $enabled, 'reset' => $reset, 'error' => $error['message'] ?? '']);
