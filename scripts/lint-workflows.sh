#!/usr/bin/env bash
# Validates the repository's workflows and the example workflows users copy. action.yml itself is
# checked by a unit test (the validator's schema does not know node24 yet).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for f in .github/workflows/*.yml examples/workflows/*.yml; do
  if node_modules/.bin/action-validator "$f"; then echo "valid: $f"; else echo "INVALID: $f"; status=1; fi
done
exit "$status"
