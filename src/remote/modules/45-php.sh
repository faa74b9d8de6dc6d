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

# run_in_pool <name> <php file text> <body limit>: one FastCGI request to the php-fpm pool (FPM_SOCKET)
# for a script that lives in the deploy path for that request only (the pool must be able to read
# it); the directory's mtime is put back, so nothing shows a change. Prints the fcgi client's answer
# (read it with read_answer).
run_in_pool() {
  local name=$1 text=$2 limit=$3 script stamp
  stamp=$(mktemp)
  touch -r "$DEPLOY_PATH" "$stamp"
  script="$DEPLOY_PATH/.php-deploy-$name-$$-$RANDOM.php"
  (umask 022 && printf '%s' "$text" >"$script")
  php -d display_errors=stderr -r "$FCGI_CLIENT" -- "$FPM_SOCKET" "$DEPLOY_PATH" "http://localhost/${script##*/}" index.php 5 "$limit" 2>&1 || true
  rm -f "$script"
  touch -m -r "$stamp" "$DEPLOY_PATH"
  rm -f "$stamp"
}
