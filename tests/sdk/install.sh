#!/usr/bin/env bash
# Installs the SDK tests' npm packages from package-lock.json (`npm ci`), only when node_modules
# is missing or was installed from another lockfile, so reruns are instant and work offline.
# Exit 77 (a skip for ctest) when node or npm is missing: scripts/install-deps.sh provides them.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "sdk tests: node and npm are needed (scripts/install-deps.sh installs them)" >&2
  exit 77
fi

# npm ci leaves node_modules/.package-lock.json; our own copy of the lockfile beside it says
# which lockfile this node_modules was installed from.
stamp=node_modules/.anvil-installed-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi

echo "sdk tests: npm ci (package-lock.json changed or node_modules missing)"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
