#!/usr/bin/env bash
# Appliance benchmark (not a test): binary sizes, start-to-/health, idle RSS, and RSS during a /24
# `normal` scan on the namespace test network (root only; nothing leaves the test namespaces).
#
#   scripts/bench/appliance.sh [--runs N] [--hosts N] [--no-scan]
#
# Builds dist/argus-linux-{x64,arm64} (npm run build) plus, for comparison, an x64 binary without
# bytecode in a temp dir, then runs scripts/bench/appliance.ts. Targets: start-up < 300 ms,
# idle RSS < 60 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
bun=node_modules/.bin/bun
plain=$(mktemp -d)
trap 'rm -rf "$plain"' EXIT

"$bun" scripts/build.ts >/dev/null
"$bun" scripts/build.ts --arch x64 --no-bytecode --out-dir "$plain" >/dev/null
mv "$plain/argus-linux-x64" "$plain/argus-linux-x64-no-bytecode"
arm=()
[ -f dist/argus-linux-arm64 ] && arm=(--arm64 dist/argus-linux-arm64)
exec "$bun" scripts/bench/appliance.ts --binary dist/argus-linux-x64 "${arm[@]}" --compare "$plain/argus-linux-x64-no-bytecode" "$@"
