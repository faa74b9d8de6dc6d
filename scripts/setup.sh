#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine, as root:
# the server stack's Debian packages, Node.js if missing, and the npm dependencies (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/stack/stack.sh install

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v npm >/dev/null 2>&1 || (($(node_major) < 18)); then
  echo "setup: installing Node.js and npm from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
fi

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
echo "setup: done (node $(node --version), tests run on $(node_modules/.bin/node --version 2>/dev/null || echo 'system node'))"
