# Manifest and verify: listings of a manifest and of a tree, stat snapshots, the content check.
# shellcheck shell=bash

# ---------------------------------------------------------------------------------------------
# Manifest: "# php-deploy manifest v1", then TAB-separated: type mode size sha256 path [linktarget]
# ---------------------------------------------------------------------------------------------

# Normalised listing of what the manifest describes: d<TAB>mode<TAB>path, f<TAB>mode<TAB>size<TAB>path,
# l<TAB>path<TAB>target — the same shape tree_listing produces from disk. Files of a release are
# stored read-only (the manifest's mode without its write bits): unchanged files are hard links
# shared with other releases, so nothing may write to them in place.
manifest_listing() {
  awk -F '\t' 'function ro(m,   i, d, out) {
    out = ""
    for (i = 1; i <= length(m); i++) { d = substr(m, i, 1) + 0; if (int(d / 2) % 2) d -= 2; out = out d }
    sub(/^0+/, "", out)
    return out
  }
  NR > 1 && $1 != "" {
    mode = $2; sub(/^0+/, "", mode)
    if ($1 == "d") print "d\t" mode "\t" $5
    else if ($1 == "f") print "f\t" ro(mode) "\t" $3 "\t" $5
    else if ($1 == "l") print "l\t" $5 "\t" $6
  }' "$1" | sort
}

tree_listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y\t%m\t%s\t%P\t%l\n') | awk -F '\t' '{
    if ($1 == "d") print "d\t" $2 "\t" $4
    else if ($1 == "f") print "f\t" $2 "\t" $3 "\t" $4
    else if ($1 == "l") print "l\t" $4 "\t" $5
    else print "?\t" $4
  }' | sort
}

# Stat snapshot of the manifest paths (type, mode, size, mtime; directories by type and mode only, as
# what hooks add — a cache file, a nested shared link — changes a directory's mtime, not its files):
# proves cheaply later which files of a release still are what was verified, so they can serve as the
# base of a delta.
tree_snapshot() {
  local dir=$1 manifest=$2
  (cd "$dir" && find . -mindepth 1 -printf '%y\t%m\t%s\t%T@\t%P\n') |
    awk -F '\t' 'NR == FNR { if (FNR > 1) want[$5] = 1; next }
      ($5 in want) { if ($1 == "d") print "d\t" $2 "\t-\t-\t" $5; else print }' "$manifest" - | sort
}

# Paths of a release that differ from its snapshot (changed, replaced or removed on the server since
# it was verified), one per line: they are never hard-linked into a new release.
changed_since_verified() {
  local id=$1 md
  md=$(meta_dir "$id")
  { diff "$md/tree" <(tree_snapshot "$(release_dir "$id")" "$md/manifest") || true; } | sed -n 's/^[<>] //p' | cut -f 5- | sort -u
}

verify_tree() {
  local dir=$1 manifest=$2 diffs
  head -n 1 "$manifest" | grep -qx '# php-deploy manifest v1' || die "the upload has no valid manifest"
  diffs=$(diff <(manifest_listing "$manifest") <(tree_listing "$dir") | grep '^[<>]' | head -n 5 || true)
  if [[ -n $diffs ]]; then
    die "release tree does not match its manifest (< expected, > found): ${diffs//$'\n'/; }"
  fi
  # Content: every file that arrived in the upload is hashed. A file that is a hard link to the same
  # path of the base release (optional third argument) is the very file verified when the base was
  # made, so it is not read again.
  local bad linked=''
  if [[ -n ${3:-} ]]; then
    linked=$(join -t $'\t' <(cd "$dir" && find . -type f -printf '%P\t%i\n' | sort) \
      <(cd "$3" && find . -type f -printf '%P\t%i\n' | sort) | awk -F '\t' '$2 == $3 { print $1 }')
  fi
  local sums
  sums=$(awk -F '\t' 'NR == FNR { linked[$0] = 1; next } FNR > 1 && $1 == "f" && !($5 in linked) { print $4 "  " $5 }' \
    <(printf '%s\n' "$linked") "$manifest")
  # Nothing to read when every file is a hard link (the same tree deployed again).
  [[ -n $sums ]] || return 0
  bad=$(cd "$dir" && sha256sum --check --quiet --strict <<<"$sums" 2>&1 | head -n 5) || true
  [[ -z $bad ]] || die "checksum mismatch after upload: ${bad//$'\n'/; }"
}
