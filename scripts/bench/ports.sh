#!/usr/bin/env bash
# Port-scan benchmark: Argus's TCP connect scanner (src/portscan/ports.ts) against `nmap -sT -p1-1000 -T4` and
# `nmap -sS -p1-1000 -T4` on the same hosts in one run, with findings checked against a ground truth.
# Then the whole `normal` profile as a user runs it (`argus scan --profile normal` on the /24: discovery,
# ports, service detection, names, vendors, risk, saved to a database) against nmap doing discovery + ports
# on the same /24.
#
#   scripts/bench/ports.sh [--hosts N] [--ports SPEC] [--seed S] [--no-syn]
#
# Builds the test network with scripts/testnet.sh (namespaces only; hosts 10.231.0.10+, scanner P-scan),
# starts listeners on a seeded random set of ports in every host (scripts/bench/ports-listen.py), drops
# one port silently on every fifth host (nftables, "filtered"), then times the three scanners from P-scan.
# nmap runs with -n -Pn so that all three do the same work (no DNS, no host discovery). Needs root, nmap,
# nftables, python3. Tears everything down on exit, also on failure or Ctrl-C.
set -Eeuo pipefail

HOSTS=50
SPEC="1-1000"
SEED=1
SYN=1
while (($#)); do
  case "$1" in
    --hosts) HOSTS="$2"; shift 2 ;;
    --ports) SPEC="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --no-syn) SYN=0; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUN="$ROOT/node_modules/.bin/bun"
P="pb$(($$ % 100000))"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$ROOT/scripts/testnet.sh" down --prefix "$P" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || { echo "ports.sh: needs root (network namespaces)" >&2; exit 2; }
command -v nmap >/dev/null || { echo "ports.sh: nmap is not installed" >&2; exit 2; }

echo "building test network $P with $HOSTS hosts..."
"$ROOT/scripts/testnet.sh" up --prefix "$P" --hosts "$HOSTS" --out "$WORK/truth-net.json" >/dev/null

# Ground truth: a seeded plan of open and dropped ports per host.
python3 - "$HOSTS" "$SEED" "$SPEC" >"$WORK/plan.tsv" <<'PY'
import random, sys
hosts, seed, spec = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ports = []
for part in spec.split(","):
    lo, _, hi = part.partition("-")
    ports += range(int(lo), int(hi or lo) + 1)
rng = random.Random(seed)
common = [p for p in (21, 22, 23, 25, 53, 80, 139, 443, 445, 631, 993) if p in ports]
for n in range(1, hosts + 1):
    k = rng.randint(2, 12)
    opened = set(rng.sample(ports, k)) | set(rng.sample(common, min(len(common), rng.randint(0, 4))))
    rest = [p for p in ports if p not in opened]
    dropped = [rng.choice(rest)] if n % 5 == 0 else []
    print(f"{n}\t10.231.0.{9 + n}\t{','.join(map(str, sorted(opened)))}\t{','.join(map(str, dropped))}")
PY

python3 - "$WORK/plan.tsv" >"$WORK/truth.json" <<'PY'
import json, sys
truth = {}
for line in open(sys.argv[1]):
    n, ip, opened, dropped = line.rstrip("\n").split("\t")
    truth[ip] = {"open": [int(p) for p in opened.split(",") if p], "filtered": [int(p) for p in dropped.split(",") if p]}
print(json.dumps(truth))
PY

TARGETS=()
while IFS=$'\t' read -r n ip opened dropped; do
  ns="$P-h$n"
  if [[ -n "$dropped" ]]; then
    printf 'table inet bench {\n chain input {\n  type filter hook input priority 0;\n  tcp dport { %s } drop\n }\n}\n' "$dropped" \
      | ip netns exec "$ns" nft -f -
  fi
  # stdin is a fifo held open by us: closing it on exit stops the listener.
  mkfifo "$WORK/in$n"
  ip netns exec "$ns" python3 "$ROOT/scripts/bench/ports-listen.py" ${opened//,/ } <"$WORK/in$n" >"$WORK/ready$n" &
  PIDS+=($!)
  exec {fd}>"$WORK/in$n"
  TARGETS+=("$ip")
done <"$WORK/plan.tsv"
for n in $(seq 1 "$HOSTS"); do
  for _ in $(seq 100); do grep -q READY "$WORK/ready$n" 2>/dev/null && break; sleep 0.05; done
  grep -q READY "$WORK/ready$n" || { echo "listener in $P-h$n did not start" >&2; exit 1; }
done

echo "scanning ${#TARGETS[@]} hosts, ports $SPEC..."
SCAN=(ip netns exec "$P-scan")
t0=$(date +%s.%N)
"${SCAN[@]}" "$BUN" "$ROOT/scripts/bench/ports-run.ts" "$SPEC" "${TARGETS[@]}" >"$WORK/ours.json"
ours=$(echo "$(date +%s.%N) - $t0" | bc)

t0=$(date +%s.%N)
"${SCAN[@]}" nmap -sT -p "$SPEC" -T4 -n -Pn -oX "$WORK/st.xml" "${TARGETS[@]}" >/dev/null
st=$(echo "$(date +%s.%N) - $t0" | bc)

ARGS=("$WORK/truth.json" "$WORK/ours.json" "$ours" "$WORK/st.xml" "$st")
if ((SYN)); then
  t0=$(date +%s.%N)
  "${SCAN[@]}" nmap -sS -p "$SPEC" -T4 -n -Pn -oX "$WORK/ss.xml" "${TARGETS[@]}" >/dev/null
  ss=$(echo "$(date +%s.%N) - $t0" | bc)
  ARGS+=("$WORK/ss.xml" "$ss")
fi

echo
echo "findings ($HOSTS hosts, ports $SPEC, seed $SEED):"
python3 "$ROOT/scripts/bench/ports-score.py" "${ARGS[@]}"

echo
echo "whole normal profile on ${P}'s /24 (discovery + ports $SPEC + services + names + persistence):"
# A fresh appliance database, as `argus serve` leaves it on first start.
"$BUN" -e "import { openDatabase } from '$ROOT/src/db/database.ts'; openDatabase('$WORK/data').close()"
# The normal profile scans the default port set (home-1000); here it scans $SPEC, as nmap does.
printf '{"port_range": "%s"}\n' "$SPEC" >"$WORK/data/config.json"
t0=$(date +%s.%N)
"${SCAN[@]}" "$BUN" "$ROOT/src/main.ts" scan --profile normal --data-dir "$WORK/data" --json 10.231.0.0/24 >"$WORK/scan.json"
full=$(echo "$(date +%s.%N) - $t0" | bc)
t0=$(date +%s.%N)
"${SCAN[@]}" nmap -sT -p "$SPEC" -T4 -n -oX "$WORK/full-st.xml" 10.231.0.0/24 >/dev/null
full_st=$(echo "$(date +%s.%N) - $t0" | bc)
t0=$(date +%s.%N)
"${SCAN[@]}" nmap -sS -p "$SPEC" -T4 -n -oX "$WORK/full-ss.xml" 10.231.0.0/24 >/dev/null
full_ss=$(echo "$(date +%s.%N) - $t0" | bc)
found=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["scan"]["hosts_found"], d["scan"]["open_ports"])' "$WORK/scan.json" 2>/dev/null || echo "? ?")
printf '  argus scan --profile normal   %6.2f s   (hosts found, open ports: %s)\n' "$full" "$found"
printf '  nmap -sT -T4 (with discovery)  %6.2f s   ratio argus/nmap %.2f\n' "$full_st" "$(echo "$full / $full_st" | bc -l)"
printf '  nmap -sS -T4 (with discovery)  %6.2f s   ratio argus/nmap %.2f\n' "$full_ss" "$(echo "$full / $full_ss" | bc -l)"
