#!/usr/bin/env bash
# The test command: sets everything up, starts the local server stack, then runs every check
# CI runs — dist/ freshness, licenses of the dependency tree, types, shellcheck, action.yml and
# workflows (schemas, actionlint), unit and end-to-end tests against the real stack.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash test/stack/stack.sh start
npm run -s check-dist
npm run -s check-licenses
npm run -s typecheck
npm run -s lint:shell
npm run -s lint:functions
npm run -s lint:workflows
npm test
