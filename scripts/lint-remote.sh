#!/usr/bin/env bash
# Lint of the remote program: each module of src/remote/modules on its own (SC2034, "unused", is left to
# the joined check: a module's variables are used by others), the joined script as the engine sends it,
# and the PHP programs with `php -l`.
set -euo pipefail
cd "$(dirname "$0")/.."

shellcheck -e SC2034 src/remote/modules/*.sh
joined=$(mktemp --suffix=.sh)
trap 'rm -f "$joined"' EXIT
node scripts/remote-script.mjs >"$joined"
if ! shellcheck -s bash "$joined"; then
  echo "the joined remote script (node scripts/remote-script.mjs) has the shellcheck findings above" >&2
  exit 1
fi
for f in src/remote/php/*.php; do
  php -l "$f" >/dev/null || { php -l "$f" >&2; exit 1; }
done
