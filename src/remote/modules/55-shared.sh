# Shared paths: kept under shared/, linked into every release with relative symlinks.
# shellcheck shell=bash

# The shared paths this deploy seeded (for the deploy log).
SEEDED=()

# Links every shared path into the release. Never deletes anything, in the release or in shared/:
# every directory above a link must be a real directory of the release (a symlink there could lead
# into shared/ or out of the release), and the link's own place must be empty (shared paths are
# never part of an upload). Sets LAST_FAILURE and returns 1 when a path cannot be linked safely.
link_shared() {
  local rel=$1 raw p link up i parent target parts
  SEEDED=()
  for raw in "${SHARED[@]}"; do
    p=${raw%/}
    link=$rel/$p
    IFS=/ read -ra parts <<<"$p"
    parent=$rel
    up='../'
    for ((i = 0; i < ${#parts[@]} - 1; i++)); do
      parent+=/${parts[i]}
      up+='../'
      if [[ -L $parent || ( -e $parent && ! -d $parent ) ]]; then
        LAST_FAILURE="shared path $p: ${parent#"$rel"/} in the release is $(type_name "$parent"), not a directory; a shared path must sit under real directories of the release (ship ${parent#"$rel"/} as a directory, or share ${parent#"$rel"/} itself)"
        return 1
      fi
      [[ -d $parent ]] || mkdir "$parent"
    done
    target="${up}../shared/$p"
    if [[ -L $link && $(readlink "$link") == "$target" ]]; then continue; fi
    if [[ -e $link || -L $link ]]; then
      LAST_FAILURE="shared path $p: the release has $(type_name "$link") there; a shared path is never part of a release (it lives in shared/$p): remove it from the release"
      return 1
    fi
    create_shared "$raw" || return 1
    ln -s "$target" "$link"
  done
  drop_seed
  if ((${#SEEDED[@]})); then append_log seed ok "$(IFS=';' && printf '%s' "${SEEDED[*]}")"; fi
}

type_name() {
  if [[ -L $1 ]]; then printf 'a symlink (to %s)' "$(readlink "$1")"
  elif [[ -d $1 ]]; then printf 'a directory'
  elif [[ -f $1 ]]; then printf 'a file'
  else printf 'something that is neither a file nor a directory'; fi
}

# Makes shared/<path> when it does not exist yet: from this deploy's seed (the source's own content,
# moved in as it is), else empty — a directory, or a file when the name has a dot and no trailing /.
# An existing shared path is left as it is, whatever it holds (a symlink to other storage too).
create_shared() {
  local raw=$1 p=${1%/} sp seed files dirs
  sp=$SHARED_DIR/$p
  if [[ -e $sp || -L $sp ]]; then
    if [[ $raw == */ && ! -d $sp ]]; then
      LAST_FAILURE="shared '$raw' is declared a directory but shared/$p is $(type_name "$sp"); move it aside or drop the /"
      return 1
    fi
    return 0
  fi
  seed=$STATE/seed/$DEPLOY_ID/$p
  local err=''
  if ! err=$(mkdir -p "$(dirname "$sp")" 2>&1); then
    :
  elif [[ -e $seed && ! -L $seed ]]; then
    files=$(find "$seed" -type f | wc -l)
    dirs=$(find "$seed" -type d | wc -l)
    if err=$(mv -T "$seed" "$sp" 2>&1); then
      say "shared: seeded shared/$p from the release: $files files, $dirs directories"
      SEEDED+=("seeded shared/$p from the release: $files files, $dirs directories")
    fi
  elif [[ $raw != */ && ${p##*/} == *.* ]]; then
    err=$({ : >"$sp"; } 2>&1) && say "shared: created empty file shared/$p"
  else
    err=$(mkdir -p "$sp" 2>&1) && say "shared: created directory shared/$p"
  fi
  if [[ -n $err ]]; then
    LAST_FAILURE="cannot create shared/$p: ${err##*: } (shared/ must be writable by $(id -un))"
    return 1
  fi
}

# Writable paths for a web server that runs as another user than the SSH user: shared/<path> (made a
# directory when missing) gets the group (g+rwX, setgid directories so new files keep the group) or
# an ACL for the user (rwX, default ACLs on directories). Only what the SSH user owns is changed (what
# the web server wrote is its own already); a release is never touched: its files stay read-only.
apply_writable() {
  ((${#WRITABLE[@]})) || return 0
  local w sp me why
  me=$(id -u)
  why=$(writable_problem) || true
  if [[ -n $why ]]; then
    LAST_FAILURE=$why
    return 1
  fi
  for w in "${WRITABLE[@]}"; do
    w=${w%/}
    sp=$SHARED_DIR/$w
    [[ -e $sp || -L $sp ]] || mkdir -p "$sp"
    if [[ $WRITABLE_MODE == group ]]; then
      if ! {
        find -H "$sp" -user "$me" ! -type l \( ! -group "$WRITABLE_BY" -o ! -perm -g+rw \) \
          -exec chgrp "$WRITABLE_BY" {} + -exec chmod g+rwX {} + &&
          find -H "$sp" -user "$me" -type d ! -perm -g+s -exec chmod g+s {} +
      }; then
        LAST_FAILURE="writable: could not give shared/$w to group $WRITABLE_BY"
        return 1
      fi
      say "writable: shared/$w for group $WRITABLE_BY (g+rwX, setgid directories)"
    else
      if ! {
        find -H "$sp" -user "$me" -type d -exec setfacl -m "u:$WRITABLE_BY:rwX,d:u:$WRITABLE_BY:rwX" {} + &&
          find -H "$sp" -user "$me" -type f -exec setfacl -m "u:$WRITABLE_BY:rw" {} +
      }; then
        LAST_FAILURE="writable: setfacl failed on shared/$w (does the filesystem support ACLs?)"
        return 1
      fi
      say "writable: shared/$w for user $WRITABLE_BY (ACL rwX, default ACLs on directories)"
    fi
  done
}

# Why the writable paths cannot be given to writable-by, or nothing (also a preflight check).
writable_problem() {
  ((${#WRITABLE[@]})) || return 0
  if [[ $WRITABLE_MODE == group ]]; then
    getent group "$WRITABLE_BY" >/dev/null 2>&1 || { printf 'there is no group %s on the server; name the web server'"'"'s group in writable-by' "$WRITABLE_BY"; return 0; }
    id -nG | tr ' ' '\n' | grep -qxF -- "$WRITABLE_BY" ||
      printf '%s is not in group %s, so it cannot give it the writable paths; add it (usermod -aG %s %s) or use writable-mode acl' "$(id -un)" "$WRITABLE_BY" "$WRITABLE_BY" "$(id -un)"
  else
    command -v setfacl >/dev/null 2>&1 || { printf 'writable-mode acl needs setfacl on the server: install the acl package'; return 0; }
    id -u -- "$WRITABLE_BY" >/dev/null 2>&1 || printf 'there is no user %s on the server; name the web server'"'"'s user in writable-by' "$WRITABLE_BY"
  fi
  return 0
}

# Removes this deploy's seed of new shared paths (and the seed directory once it is empty).
drop_seed() {
  rm -rf "${STATE:?}/seed/$DEPLOY_ID"
  rmdir "$STATE/seed" 2>/dev/null || true
}
