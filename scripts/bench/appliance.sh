#!/usr/bin/env bash
# Appliance benchmark (not a test): binary sizes, start-to-/health, idle RSS, and RSS during a /24
# `normal` scan on the namespace test network (root only; nothing leaves the test namespaces).
#
#   scripts/bench/appliance.sh [--runs N] [--hosts N] [--no-scan] [--reference REV | --no-reference]
#
# Builds dist/argus-linux-{x64,arm64} (npm run build), for comparison an x64 binary without
# bytecode, and the x64 binary of REV (default 791ac47, the layout issue 17 measured at 70 MiB),
# from `git archive` in a temp dir with this checkout's node_modules. Then runs
# scripts/bench/appliance.ts in a network namespace of its own that has only loopback: the
# appliances it starts see no interface of this machine (their passive watch and any scan have
# nothing to reach); the scan phase builds its own test network. Targets: start-up < 300 ms,
# idle RSS < 60 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
bun=node_modules/.bin/bun
plain=$(mktemp -d)
trap 'rm -rf "$plain"' EXIT

reference=791ac47
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) reference=$2; shift 2 ;;
    --no-reference) reference=""; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

"$bun" scripts/build.ts >/dev/null
"$bun" scripts/build.ts --arch x64 --no-bytecode --out-dir "$plain" >/dev/null
mv "$plain/argus-linux-x64" "$plain/argus-linux-x64-no-bytecode"
ref=()
if [ -n "$reference" ]; then
  mkdir "$plain/ref"
  git archive "$reference" | tar -x -C "$plain/ref"
  ln -s "$(readlink -f node_modules)" "$plain/ref/node_modules"
  (cd "$plain/ref" && node_modules/.bin/bun scripts/build.ts --arch x64 --out-dir "$plain/ref-dist" >/dev/null)
  ref=(--reference "$plain/ref-dist/argus-linux-x64" --reference-name "$(git rev-parse --short "$reference")")
fi
arm=()
[ -f dist/argus-linux-arm64 ] && arm=(--arm64 dist/argus-linux-arm64)
# A namespace with loopback only (as root; otherwise inside a user namespace, where no scan runs).
ns=(unshare --net)
[ "$(id -u)" -eq 0 ] || { ns=(unshare --user --map-root-user --net); args+=(--no-scan); }
"${ns[@]}" -- sh -c 'ip link set lo up && exec "$@"' sh \
  "$bun" scripts/bench/appliance.ts --binary dist/argus-linux-x64 "${arm[@]}" --compare "$plain/argus-linux-x64-no-bytecode" "${ref[@]}" "${args[@]}"
