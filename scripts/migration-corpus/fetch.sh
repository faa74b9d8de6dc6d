#!/usr/bin/env bash
# Rebuilds the migration corpus (third-party files, never committed) from sources.tsv:
# each repository's migration folders at the commit named there, under <dest>/<owner>/<repo>/.
#   bash scripts/migration-corpus/fetch.sh [dest]      (default: ../i16-corpus next to the work tree)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-$here/../../../i16-corpus}"
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
while IFS=$'\t' read -r repo commit folders; do
  [[ -z "$repo" || "$repo" == \#* ]] && continue
  git init -q "$tmp/$repo"
  git -C "$tmp/$repo" fetch -q --depth 1 --filter=blob:none "https://github.com/$repo.git" "$commit"
  mkdir -p "$dest/$repo"
  # shellcheck disable=SC2086 # folders is a space-separated list
  git -C "$tmp/$repo" archive "$commit" $folders | tar -x -C "$dest/$repo"
  echo "$repo: $folders"
done < "$here/sources.tsv"
