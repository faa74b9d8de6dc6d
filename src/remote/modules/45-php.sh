# PHP programs run on the server with `php -r`: src/remote/php/*.php, put in here by src/remote/script.ts.
# shellcheck shell=bash

# The FastCGI client of the pre-switch check (src/remote/php/fcgi-request.php).
read -r -d '' FCGI_CLIENT <<'PHP' || true
@@php-deploy-php fcgi-request@@
PHP
readonly FCGI_CLIENT

# The platform probe (src/remote/php/platform-probe.php): run by the CLI as code, by php-fpm as a file.
read -r -d '' PLATFORM_PROBE_CODE <<'PHP' || true
@@php-deploy-php platform-probe@@
PHP
readonly PLATFORM_PROBE_CODE
readonly PLATFORM_PROBE="<?php $PLATFORM_PROBE_CODE"

# The OPcache reset (src/remote/php/opcache-reset.php), run by php-fpm as a file (opcache-reset).
read -r -d '' OPCACHE_RESET_CODE <<'PHP' || true
@@php-deploy-php opcache-reset@@
PHP
readonly OPCACHE_RESET_SCRIPT="<?php $OPCACHE_RESET_CODE"
