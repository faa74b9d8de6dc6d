#!/usr/bin/env bash
# The demo: starts a local target server (sshd, php-fpm, nginx, MariaDB, memcached), deploys the
# example app with the php-deploy CLI, deploys a second version, rolls back, and shows each step.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash test/stack/stack.sh start
[[ -f dist/cli.js ]] || npm run -s bundle
eval "$(bash test/stack/stack.sh env)"

site=demo
deploy_path=$STACK_SITES/$site
rm -rf "$deploy_path"
bash test/stack/new-site.sh "$site"
node=node_modules/.bin/node
[[ -x $node ]] || node=node

# What CI would have built: the example app with vendor/ installed.
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cp -a examples/app/. "$build/"

php_deploy() {
  "$node" dist/cli.js "$@" \
    --hosts "$STACK_SSH_USER@$STACK_SSH_HOST:$STACK_SSH_PORT" \
    --ssh-key-file "$STACK_SSH_KEY" \
    --known-hosts-file "$STACK_KNOWN_HOSTS" \
    --deploy-path "$deploy_path" \
    --shared .env --shared storage \
    --health-url "http://$site.localhost:$STACK_HTTP_PORT/health" \
    --fpm-socket "$STACK_FPM_SOCKET" \
    --reload-command "$STACK_RELOAD_COMMAND"
}
show() {
  echo "--- GET http://$site.localhost:$STACK_HTTP_PORT/"
  curl -s "http://$site.localhost:$STACK_HTTP_PORT/" | sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' -e '/^ *$/d'
  echo
}

echo "=== 1. deploy v1.0.0"
printf '<?php\n\nreturn %s;\n' "'1.0.0'" >"$build/config/version.php"
php_deploy deploy --source "$build" --release-version v1.0.0 --before-switch 'php bin/migrate.php'
show

echo "=== 2. deploy v1.1.0 (only what changed travels)"
sleep 1
printf '<?php\n\nreturn %s;\n' "'1.1.0'" >"$build/config/version.php"
php_deploy deploy --source "$build" --release-version v1.1.0 --before-switch 'php bin/migrate.php'
show

echo "=== 3. rollback"
php_deploy rollback
show

echo "=== 4. list"
php_deploy list
