# Hooks: the environment of user commands, running them (once, before/after-switch), the backup.
# shellcheck shell=bash

hook_env() {
  local rel=$1 prev=$2
  export PHP_DEPLOY_ID=$DEPLOY_ID PHP_DEPLOY_PATH=$DEPLOY_PATH PHP_DEPLOY_RELEASE_PATH=$rel
  export PHP_DEPLOY_SHARED=$SHARED_DIR PHP_DEPLOY_VERSION=$VERSION PHP_DEPLOY_SHA=$GIT_SHA
  export PHP_DEPLOY_PREVIOUS_ID=$prev PHP_DEPLOY_PREVIOUS_PATH=${prev:+$RELEASES/$prev}
}

run_hooks() {
  forget_live
  local name=$1 rel=$2 n=0 cmd out file
  shift 2
  (($#)) || return 0
  out=$(mktemp "$STATE/runs/hook.XXXXXX" 2>/dev/null) || out=''
  for cmd in "$@"; do
    n=$((n + 1))
    say "${name}[$n]: $cmd"
    # The copy in $out only names a read-only file in the message: not being able to write it (a full
    # disk) is not the command's failure.
    if ! (cd "$rel" && bash -c "$cmd") 2>&1 </dev/null 8>&- | { tee "${out:-/dev/null}" 2>/dev/null || true; }; then
      LAST_FAILURE="$name command $n failed: $cmd"
      if [[ -n $out ]] && file=$(readonly_file_in "$rel" "$out"); then
        LAST_FAILURE+="; it could not write $file: files of a release are read-only, since unchanged files are shared with other releases by hard link. Write $file in CI, make it a shared path, or replace it (write a new file and rename it over $file)"
      fi
      [[ -z $out ]] || rm -f "$out"
      return 1
    fi
  done
  [[ -z $out ]] || rm -f "$out"
}

# The first file of the release a failed command was refused writing to, from its output
# ("…: Permission denied" from bash, cp, truncate, PHP's file_put_contents, …): a read-only file.
readonly_file_in() {
  local rel=$1 out=$2 line tok toks
  while IFS= read -r line; do
    line=${line//[\'\"\`()]/ }
    line=${line//: / }
    read -ra toks <<<"$line"
    for tok in "${toks[@]}"; do
      tok=${tok%[:,;]}
      [[ $tok == "$rel"/* ]] && tok=${tok#"$rel"/}
      tok=${tok#./}
      [[ -n $tok && $tok != /* && $tok != *..* ]] || continue
      if [[ -f $rel/$tok && ! -L $rel/$tok && ! -w $rel/$tok ]]; then
        printf '%s' "$tok"
        return 0
      fi
    done
  done < <(grep -aiE 'permission denied|operation not permitted|read-only' "$out" | head -n 20)
  return 1
}

# ---------------------------------------------------------------------------------------------
# Nothing run in one release changes another: the files a new release shares with others (hard
# links to the same inodes) are read-only, so a write in place fails. What the owner can still do to
# a read-only file — chmod, chgrp, touch, or chmod u+w and write — is caught here: after the hooks and
# the pre-switch check, one pass lists the shared files (more than one link) whose ctime is newer than
# the moment the hooks started (ctime shows any change, even one undone), and compares each with the
# release's own snapshot taken at upload. Mode, group and mtime are put back; changed bytes cannot be
# (every release sharing the file has them), and are reported as such. Either way the deploy stops
# before the switch. Cost: one stat pass over the release.
# ---------------------------------------------------------------------------------------------

GUARD_FILE=''
GUARD_FAILURE=''

# Marks the moment hooks may start changing things (the file's mtime). File times advance by clock
# ticks (a few ms): the short wait puts every later change in a later tick.
guard_begin() {
  GUARD_FILE=$STATE/releases/$DEPLOY_ID/guard
  : >"$GUARD_FILE"
  sleep 0.02
}

# Returns 1 (GUARD_FAILURE says what, naming the first file) when a shared file was changed.
guard_check() {
  local rel=$1 file=$GUARD_FILE md path nmode ngid nmt mode mt gid what first='' how='' n=0 sum want
  GUARD_FILE=''
  [[ -n $file && -f $file ]] || return 0
  md=$STATE/releases/$DEPLOY_ID
  gid=$(stat -c %g "$rel")
  while IFS=$'\t' read -r path nmode ngid nmt; do
    IFS=$'\t' read -r mode mt < <(awk -F '\t' -v p="$path" '$5 == p { print $2 "\t" $4; exit }' <(stored_text "$md/tree"))
    [[ -n $mode ]] || continue
    what=''
    if [[ $mode != "$nmode" ]]; then chmod "$mode" "$rel/$path" && what+="mode $mode → $nmode, "; fi
    if [[ $gid != "$ngid" ]]; then chgrp "$gid" "$rel/$path" && what+="group $gid → $ngid, "; fi
    if [[ $mt != "$nmt" ]]; then touch -m -d "@$mt" "$rel/$path" && what+="mtime, "; fi
    sum=$(sha256sum <"$rel/$path")
    want=$(awk -F '\t' -v p="$path" 'NR > 1 && $1 == "f" && $5 == p { print $4; exit }' <(stored_text "$md/manifest"))
    if [[ -n $want && ${sum%% *} != "$want" ]]; then what+="its bytes, which cannot be put back: every release sharing the file has them now, "; fi
    [[ -n $what ]] || continue
    n=$((n + 1))
    [[ -n $first ]] || { first=$path; how=${what%, }; }
  done < <(cd "$rel" && find . -type f -links +1 -cnewer "$file" -printf '%P\t%m\t%G\t%T@\n')
  rm -f "$file"
  ((n)) || return 0
  GUARD_FAILURE="something run in the new release before the switch changed $first in place ($how)"
  ((n == 1)) || GUARD_FAILURE+=" and $((n - 1)) more files"
  GUARD_FAILURE+=", a file shared by hard link with other releases; php-deploy put mode, group and mtime back. Files of a release must not change on the server: set $first in CI, or make it a shared path"
  return 1
}

# The backup before migrating: the user's command writes into $PHP_DEPLOY_BACKUP_DIR (shared/backups);
# the newest backup_keep files there are kept.
run_backup() {
  forget_live
  local rel=$1 dir=$SHARED_DIR/backups
  mkdir -p "$dir"
  export PHP_DEPLOY_BACKUP_DIR=$dir
  run_hooks backup "$rel" "$BACKUP_COMMAND" || return 1
  find "$dir" -maxdepth 1 -type f -printf '%T@ %p\n' | sort -rn | tail -n +"$((BACKUP_KEEP + 1))" |
    cut -d ' ' -f 2- | xargs -r -d '\n' rm -f --
  say "backup: $(find "$dir" -maxdepth 1 -type f | wc -l) backups kept in $dir"
}
