#!/usr/bin/env bash
# Prepare a site on the local test stack (see stack.sh) for the example app:
#   new-site.sh <name> [db-name]
# writes /home/deploy/sites/<name>/shared/.env (owned by deploy) and creates the database
# (default: site_<name> with '-' replaced by '_'). Idempotent. Run as root with the stack started.
# The site is then served at http://<name>.localhost:8080/ once <name>/current points to a release.
set -euo pipefail

STACK_DIR=${STACK_DIR:-/opt/php-deploy-stack}
readonly STACK_DIR
readonly SITES_DIR=/home/deploy/sites
readonly DEPLOY_USER=deploy

# shellcheck source=test/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 <name> [db-name]" >&2; exit 2; }
name=$1
[[ $name =~ ^[a-z0-9-]+$ ]] || die "site name must match ^[a-z0-9-]+\$: '$name'"
db=${2:-site_${name//-/_}}
[[ $db =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "database name must match ^[A-Za-z0-9_]{1,64}\$: '$db'"
require_root
id -u "$DEPLOY_USER" >/dev/null 2>&1 || die "user $DEPLOY_USER missing: run stack.sh start first"
[[ -f $STACK_DIR/my.cnf ]] || die "$STACK_DIR/my.cnf missing: run stack.sh start first"

site=$SITES_DIR/$name
install -d -o "$DEPLOY_USER" -g "$DEPLOY_USER" -m 755 "$site" "$site/shared"

env_file=$site/shared/.env
write_site_env "$site/shared" "# $name: written by test/stack/new-site.sh" 127.0.0.1 3306 "$db" 127.0.0.1 11211

mariadb --defaults-file="$STACK_DIR/my.cnf" -e "CREATE DATABASE IF NOT EXISTS \`$db\`" ||
  die "could not create database $db (is the stack started?)"

echo "site $name: $env_file, database $db, http://$name.localhost:8080/"
