# Manifest and verify: listings of a manifest and of a tree, stat snapshots, the content check.
# shellcheck shell=bash

# ---------------------------------------------------------------------------------------------
# Manifest: "# php-deploy manifest v1", then TAB-separated: type mode size sha256 path [linktarget]
# ---------------------------------------------------------------------------------------------

# A release's manifest and tree snapshot are kept gzip'd in .php-deploy/releases/<id>/ (a sha256 per
# file: 1.5 MB for 10k files, 0.6 MB gzip'd); releases kept by older versions hold them plain.
# stored_text prints either as text; manifest_gz prints a manifest gzip'd (as the engine reads it).
stored_text() { gzip -dcf "$1"; }
manifest_gz() {
  if gzip -t "$1" 2>/dev/null; then cat "$1"; else gzip -1 -c "$1"; fi
}

# The migration files a manifest lists (paths matching MIGRATION_RE), sorted.
migrations_in() {
  stored_text "$1" | awk -F '\t' -v re="$MIGRATION_RE" 'NR > 1 && $1 == "f" && $5 ~ re { print $5 }' | sort
}

# The unchanged entries of a delta: files and symlinks that the new manifest ($2) lists exactly as the
# base release's manifest ($1) does (type, mode, size, sha256, link target) — the engine's diff, so
# these are what the upload does not send. They are hard-linked from the base — except the paths
# listed in $3 (the base's paths changed on the server since it was verified: their bytes come from
# the engine, never from the base; see report_live_and_base).
unchanged_paths() {
  local changed=${3:-}
  [[ -n $changed && -f $changed ]] || changed=/dev/null
  awk -F '\t' 'FILENAME == ARGV[1] { if ($0 != "") skip[$0] = 1; next }
    FILENAME == ARGV[2] { if (FNR > 1 && $1 != "d" && !($5 in skip)) base[$5] = $0; next }
    FNR > 1 && $1 != "d" && ($5 in base) && base[$5] == $0 { print $5 }' "$changed" <(stored_text "$1") "$2"
}

# One walk of a release tree: type, mode, size, mtime, inode, path, link target per entry (unsorted),
# the input of verify_tree and tree_snapshot_of.
tree_walk() {
  (cd "$1" && find . -mindepth 1 -printf '%y\t%m\t%s\t%T@\t%i\t%P\t%l\n')
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
  md=$STATE/releases/$id
  { diff <(stored_text "$md/tree") <(tree_snapshot "$RELEASES/$id" <(stored_text "$md/manifest")) || true; } | sed -n 's/^[<>] //p' | cut -f 5- | sort -u
}

# The same snapshot from a tree_walk (no second walk of the tree).
tree_snapshot_of() {
  awk -F '\t' 'NR == FNR { if (FNR > 1) want[$5] = 1; next }
    ($6 in want) { if ($1 == "d") print "d\t" $2 "\t-\t-\t" $6; else print $1 "\t" $2 "\t" $3 "\t" $4 "\t" $6 }' "$2" "$1" | sort
}

# verify_tree <dir> <manifest> <walk> [base]: the tree (as walked) is exactly what the manifest lists —
# the same paths, types, modes, sizes and link targets, nothing more; files read-only: the manifest's
# mode without its write bits (unchanged files are hard links shared with other releases, so nothing
# may write to them in place) — and every file that arrived in
# the upload has the manifest's sha256. A file that is a hard link to the same path of the base release
# is the very file verified when the base was made, so it is not read again.
verify_tree() {
  local dir=$1 manifest=$2 walk=$3 base=${4:-} diffs
  head -n 1 "$manifest" | grep -qx '# php-deploy manifest v1' || die "the upload has no valid manifest"
  diffs=$(awk -F '\t' '
    function ro(m,   i, d, out) {
      out = ""
      for (i = 1; i <= length(m); i++) { d = substr(m, i, 1) + 0; if (int(d / 2) % 2) d -= 2; out = out d }
      sub(/^0+/, "", out)
      return out
    }
    NR == FNR {
      if (FNR == 1 || $1 == "") next
      mode = $2; sub(/^0+/, "", mode)
      if ($1 == "d") want[$5] = "d\t" mode
      else if ($1 == "f") want[$5] = "f\t" ro(mode) "\t" $3
      else if ($1 == "l") want[$5] = "l\t" $6
      next
    }
    {
      if ($1 == "d") got = "d\t" $2; else if ($1 == "f") got = "f\t" $2 "\t" $3; else if ($1 == "l") got = "l\t" $7; else got = "?"
      if (!($6 in want)) { print "> " got "\t" $6; bad++ }
      else { if (want[$6] != got) { print "< " want[$6] "\t" $6 " > " got; bad++ } delete want[$6] }
      if (bad >= 5) exit
    }
    END { if (bad < 5) for (p in want) { print "< " want[p] "\t" p " (missing)"; if (++bad >= 5) break } }
  ' "$manifest" "$walk")
  if [[ -n $diffs ]]; then
    die "release tree does not match its manifest (< expected, > found): ${diffs//$'\n'/; }"
  fi
  local bad sums
  sums=$(awk -F '\t' '
    FILENAME == ARGV[1] { if ($1 == "f") linked[$6] = $5; next }
    FILENAME == ARGV[2] { if ($1 == "f" && linked[$6] == $5) skip[$6] = 1; next }
    FNR > 1 && $1 == "f" && !($5 in skip) { print $4 "  " $5 }
  ' <(if [[ -n $base ]]; then (cd "$base" && find . -type f -printf 'f\t\t\t\t%i\t%P\n'); fi) "$walk" "$manifest")
  # Nothing to read when every file is a hard link (the same tree deployed again).
  [[ -n $sums ]] || return 0
  bad=$(cd "$dir" && sha256sum --check --quiet --strict <<<"$sums" 2>&1 | head -n 5) || true
  [[ -z $bad ]] || die "checksum mismatch after upload: ${bad//$'\n'/; }"
}
