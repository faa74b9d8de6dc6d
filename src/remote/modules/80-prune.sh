# Prune: which completed releases to remove, and removing them.
# shellcheck shell=bash

# Prints the completed releases a prune would remove: beyond keep-releases (counting `extra` releases
# about to be added), never the live one, the previous one, the rollback target, or one switched away
# from less than the grace period ago.
prune_plan() {
  local prev=$1 extra=$2 live id n retired
  live=$(live_id)
  n=$extra
  while IFS= read -r id; do
    [[ -n $id ]] || continue
    n=$((n + 1))
    ((n > KEEP_RELEASES)) || continue
    [[ $id == "$live" || $id == "$prev" || $id == "$TARGET_ID" ]] && continue
    retired=$(cat "$STATE/releases/$id/retired" 2>/dev/null || echo 0)
    if (($(now_epoch) - retired < GRACE_SECONDS)); then
      printf 'keep %s switched away from less than %ss ago\n' "$id" "$GRACE_SECONDS"
      continue
    fi
    printf 'remove %s\n' "$id"
  done < <(ok_releases | sort -r)
}

prune_releases() {
  local prev=$1 action id why removed=0
  while read -r action id why; do
    if [[ $action == keep ]]; then
      say "prune: keeping $id for now ($why)"
      continue
    fi
    remove_tree "$RELEASES/$id"
    rm -rf "$STATE/releases/$id"
    removed=$((removed + 1))
    say "prune: removed $id"
  done < <(prune_plan "$prev" 0)
  say "prune: removed $removed, keeping up to $KEEP_RELEASES completed releases"
}
