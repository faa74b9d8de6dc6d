# Shared paths: kept under shared/, linked into every release with relative symlinks.
# shellcheck shell=bash

link_shared() {
  local rel=$1 p up i depth link
  for p in "${SHARED[@]}"; do
    p=${p%/}
    link=$rel/$p
    if [[ ! -e $SHARED_DIR/$p && ! -L $SHARED_DIR/$p ]]; then
      local err=''
      if ! err=$(mkdir -p "$(dirname "$SHARED_DIR/$p")" 2>&1); then
        :
      elif [[ -e $STATE/seed/$DEPLOY_ID/$p ]]; then
        err=$(mv -T "$STATE/seed/$DEPLOY_ID/$p" "$SHARED_DIR/$p" 2>&1) && say "shared: seeded shared/$p from the release"
      elif [[ ${p##*/} == *.* ]]; then
        err=$({ : >"$SHARED_DIR/$p"; } 2>&1) && say "shared: created empty file shared/$p"
      else
        err=$(mkdir -p "$SHARED_DIR/$p" 2>&1) && say "shared: created directory shared/$p"
      fi
      [[ -z $err ]] || die "cannot create shared/$p: ${err##*: } (shared/ must be writable by $(id -un))"
    fi
    rm -rf "$link"
    mkdir -p "$(dirname "$link")"
    depth=$(awk -F/ '{ print NF }' <<<"$p")
    up=''
    for ((i = 0; i <= depth; i++)); do up+='../'; done
    ln -s "${up}shared/$p" "$link"
  done
  drop_seed
}

# Removes this deploy's seed of new shared paths (and the seed directory once it is empty).
drop_seed() {
  rm -rf "${STATE:?}/seed/$DEPLOY_ID"
  rmdir "$STATE/seed" 2>/dev/null || true
}
