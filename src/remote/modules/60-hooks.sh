# Hooks: the environment of user commands, running them (once, before/after-switch), the backup.
# shellcheck shell=bash

hook_env() {
  local rel=$1 prev=$2
  export PHP_DEPLOY_ID=$DEPLOY_ID PHP_DEPLOY_PATH=$DEPLOY_PATH PHP_DEPLOY_RELEASE_PATH=$rel
  export PHP_DEPLOY_SHARED=$SHARED_DIR PHP_DEPLOY_VERSION=$VERSION PHP_DEPLOY_SHA=$GIT_SHA
  export PHP_DEPLOY_PREVIOUS_ID=$prev PHP_DEPLOY_PREVIOUS_PATH=${prev:+$(release_dir "$prev")}
}

run_hooks() {
  local name=$1 rel=$2 n=0 cmd
  shift 2
  for cmd in "$@"; do
    n=$((n + 1))
    say "${name}[$n]: $cmd"
    if ! (cd "$rel" && bash -c "$cmd") 2>&1 </dev/null 8>&-; then
      LAST_FAILURE="$name command $n failed: $cmd"
      return 1
    fi
  done
}

# The backup before migrating: the user's command writes into $PHP_DEPLOY_BACKUP_DIR (shared/backups);
# the newest backup_keep files there are kept.
run_backup() {
  local rel=$1 dir=$SHARED_DIR/backups
  mkdir -p "$dir"
  export PHP_DEPLOY_BACKUP_DIR=$dir
  run_hooks backup "$rel" "$BACKUP_COMMAND" || return 1
  find "$dir" -maxdepth 1 -type f -printf '%T@ %p\n' | sort -rn | tail -n +"$((BACKUP_KEEP + 1))" |
    cut -d ' ' -f 2- | xargs -r -d '\n' rm -f --
  say "backup: $(find "$dir" -maxdepth 1 -type f | wc -l) backups kept in $dir"
}
