# Begin and upload: lock and inspect the deploy path, then receive, verify and place a release.
# shellcheck shell=bash

# Removes leftovers of dead deploys: partial uploads, releases marked failed, trash. The release of an
# activation still running (its deploy lost the lock: a clock step, `unlock`) is left alone: that
# activation stops before its switch and removes it itself.
recover_leftovers() {
  local d id live active=''
  live=$(live_id)
  if activation_running; then
    active=${ACTIVE_ID:-?}
    say "deploy $active is still activating on this server: its release is left alone (it stops before its switch, or finishes its checks)"
  else
    rm -f "$STATE"/cancel-*
  fi
  for d in "$RELEASES"/*.partial "$RELEASES"/.trash-*; do
    [[ -e $d ]] || continue
    say "removing leftover ${d#"$DEPLOY_PATH"/}"
    rm -rf "$d"
  done
  for d in "$RELEASES"/*/; do
    [[ -d $d ]] || continue
    id=${d%/}
    id=${id##*/}
    [[ $id == "$live" ]] && continue
    # An activation whose release cannot be named: nothing unfinished is removed while it runs.
    [[ $id == "$active" || $active == '?' ]] && continue
    if [[ ! -f $STATE/releases/$id/ok ]] || [[ -f $STATE/releases/$id/failed ]]; then
      say "removing release $id (it never went live)"
      remove_tree "$RELEASES/$id"
      rm -rf "$STATE/releases/$id"
    fi
  done
  [[ -n $active ]] || rm -rf "${STATE:?}/seed"
}

cmd_begin() {
  phase lock
  ensure_layout
  take_lock
  remember_live
  EXIT_LOCK_KEEP=1
  phase inspect
  recover_leftovers
  if [[ -n $(live_id) && ! -d $STATE/releases/$(live_id) && -d $RELEASES/$(live_id) ]]; then
    # A release put there by hand or another tool: adopt it as completed so it stays a rollback target.
    mkdir -p "$STATE/releases/$(live_id)"
    printf '{"id":%s,"version":"adopted"}\n' "$(json_str "$(live_id)")" >"$STATE/releases/$(live_id)/meta"
    now_iso >"$STATE/releases/$(live_id)/ok"
    say "adopted the live release $(live_id)"
  fi
  report_live_and_base 1
}

# Reports the live release, the previous one, shared paths still missing, and its manifest, the base
# of a delta: without the paths changed on the server since it was verified (a hook replaced a file,
# the app wrote one), which are sent again instead of linked. With `record` (begin, under the lock)
# those paths are kept for the upload in the live release's changed file.
report_live_and_base() {
  local record=${1:-0} live prev p md changed
  live=$(live_id)
  if [[ -n $live && ! -d $RELEASES/$live ]]; then
    say "warning: current points to missing release $live"
    live=''
  fi
  prev=$(previous_ok_release "$live")
  result live "$live"
  result previous "$prev"
  for p in "${SHARED[@]}"; do
    [[ -e $SHARED_DIR/${p%/} || -L $SHARED_DIR/${p%/} ]] || result missing_shared "${p%/}"
  done
  md=$STATE/releases/$live
  [[ -n $live && -f $md/manifest && -f $md/tree ]] || return 0
  if [[ ! -f $md/readonly ]]; then
    say "the live release $live was made before releases were read-only: sending everything once"
    return 0
  fi
  changed=$(changed_since_verified "$live")
  if [[ $record == 1 ]]; then
    if [[ -n $changed ]]; then printf '%s\n' "$changed" >"$md/changed"; else rm -f "$md/changed"; fi
  fi
  result base "$live"
  if [[ -n $changed ]]; then
    say "$(wc -l <<<"$changed") path(s) of the live release $live changed on the server since it was verified (${changed%%$'\n'*} …): they are sent again, not linked"
  elif [[ -n $HAVE_MANIFEST && $(stored_text "$md/manifest" | sha256sum) == "$HAVE_MANIFEST  -" ]]; then
    # The engine has it already (preflight sends it when the release has migrations).
    result manifest_same 1
    return 0
  fi
  emit manifest-gz-begin
  if [[ -z $changed ]]; then
    manifest_gz "$md/manifest" | base64 -w 76
  else
    stored_text "$md/manifest" |
      awk -F '\t' 'NR == FNR { if ($0 != "") skip[$0] = 1; next } FNR == 1 || !($5 in skip)' <(printf '%s\n' "$changed") - |
      gzip -1 -c | base64 -w 76
  fi
  emit manifest-end
}

# stdin: the manifest (manifest_bytes long, gzip'd), then a tar.gz of the files to send. With a base
# release the new one is built from the manifest: its directories made, the unchanged files and
# symlinks hard-linked from the base (the base's files are never written to), the changed ones from
# the archive. Then one walk of the new tree serves the check against the manifest and the snapshot:
# the server's work is the tree's directories and links plus what changed, not several passes over
# the whole tree.
# The background hard-linking of an upload (cmd_upload): waited for before anything is removed.
LINKER_PID=''
stop_linker() {
  [[ -n $LINKER_PID ]] || return 0
  wait "$LINKER_PID" 2>/dev/null || true
  LINKER_PID=''
}

cmd_upload() {
  phase upload
  assert_lock
  remember_live
  local part final dest
  final=$RELEASES/$DEPLOY_ID
  part=$final.partial
  dest=$STATE/releases/$DEPLOY_ID
  [[ ! -e $final ]] || die "release $DEPLOY_ID already exists"
  [[ $MANIFEST_BYTES =~ ^[0-9]+$ && $MANIFEST_BYTES -gt 0 ]] || die "no manifest length"
  # From here on the exit path (99-main.sh) removes what this upload wrote and releases the lock if it fails.
  EXIT_RELEASE=$DEPLOY_ID
  EXIT_LOCK_KEEP=1
  LOG_EVENT=deploy
  LOG_FAIL_PREFIX='upload did not complete: '
  INTERRUPTED='interrupted (the client cancelled or the connection was lost)'
  rm -rf "$part" "$dest"
  mkdir -p "$dest"
  head -c "$MANIFEST_BYTES" >"$dest/manifest.gz"
  gzip -dc "$dest/manifest.gz" >"$dest/manifest" 2>/dev/null || die "the upload was cut off (in the manifest)"
  head -n 1 "$dest/manifest" | grep -qx '# php-deploy manifest v1' || die "the upload has no valid manifest"
  local base=''
  mkdir "$part"
  if [[ -n $BASE_ID ]]; then
    base=$RELEASES/$BASE_ID
    [[ -d $base && -f $STATE/releases/$BASE_ID/manifest ]] || die "base release $BASE_ID is gone"
    # Manifest order is byte order, so every directory comes after its parent: plain mkdir.
    awk -F '\t' 'NR > 1 && $1 == "d" { print $5 }' "$dest/manifest" | (cd "$part" && xargs -r -d '\n' mkdir --)
    # The links are made while tar receives the changed files: different paths, directories all made.
    unchanged_paths "$STATE/releases/$BASE_ID/manifest" "$dest/manifest" "$STATE/releases/$BASE_ID/changed" |
      (cd "$base" && xargs -r -d '\n' cp -P -l --parents -t "$part" --) &
    LINKER_PID=$!
  fi
  # tar's messages are kept in memory: a file next to the release cannot be written on a full disk.
  local err
  if ! err=$(tar -xzf - -U --no-same-owner -p -C "$part" 2>&1); then
    die "the upload was cut off or corrupted (tar: ${err:0:300})"
  fi
  if [[ -n $LINKER_PID ]]; then
    wait "$LINKER_PID" || { LINKER_PID=''; die "could not hard-link the unchanged files from $BASE_ID"; }
    LINKER_PID=''
  fi
  rm -f "$part/.php-deploy-manifest"
  if [[ -d $part/.php-deploy-seed ]]; then
    mkdir -p "$STATE/seed"
    rm -rf "${STATE:?}/seed/$DEPLOY_ID"
    mv -T "$part/.php-deploy-seed" "$STATE/seed/$DEPLOY_ID"
  fi
  phase verify
  tree_walk "$part" >"$dest/.walk"
  verify_tree "$part" "$dest/manifest" "$dest/.walk" "$base"
  tree_snapshot_of "$dest/.walk" "$dest/manifest" | gzip -1 >"$dest/tree"
  rm -f "$dest/.walk"
  : >"$dest/readonly"
  local files
  files=$(awk -F '\t' 'NR > 1 && $1 == "f"' "$dest/manifest" | wc -l)
  # The release's migration files, for a later rollback's schema warning (see release_migrations).
  if [[ -n $MIGRATION_RE ]]; then
    { printf '%s\n' "$MIGRATION_RE"; migrations_in "$dest/manifest"; } >"$dest/migrations"
  fi
  # Kept as it came, gzip'd (stored_text reads it).
  mv -f "$dest/manifest.gz" "$dest/manifest"
  printf '{"id":%s,"version":%s,"sha":%s,"created":%s,"base":%s}\n' "$(json_str "$DEPLOY_ID")" \
    "$(json_str "$VERSION")" "$(json_str "$GIT_SHA")" "$(json_str "$(now_iso)")" "$(json_str "$BASE_ID")" >"$dest/meta"
  mv -T "$part" "$final"
  result release_path "$final"
  say "release $DEPLOY_ID verified: $files files"
}
