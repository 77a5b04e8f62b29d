#!/usr/bin/env bash
# Home-LAN port benchmark: Argus's `normal` profile (default port set home-1000) beside nmap's default
# scan (`nmap -T4`: host discovery, then nmap's top 1,000 TCP ports) on the same namespace LAN, whose
# hosts listen on what home devices serve (a NAS, Home Assistant, Plex, cameras, printers, TVs, phones,
# PCs, a router...). Then, unless --no-masscan, a full 1-65535 sweep against masscan at the same rate.
#
#   scripts/bench/ports-home.sh [--hosts N] [--seed S] [--no-masscan] [--masscan-hosts M]
#                               [--masscan-targets live|subnet]
#
# nmap runs as a connect scan (-sT), the same kind of scan as Argus's; nmap's own default as root (-sS)
# is timed beside it. Both scan the whole /24 with discovery and without DNS (-n). Printed: the ports
# nmap found, the ports Argus found, every nmap-found port Argus missed (must be none), and the time
# ratio Argus/nmap (target <= 0.7). Argus runs as `argus scan --profile normal` on a fresh database.
#
# masscan (Debian package `masscan`, needed only here) sends raw SYNs at a fixed rate. Argus's port scan
# is a connect scan bounded by connects in flight, not by a rate, so Argus (`--profile intensive`, all
# 65,535 ports of the /24 with discovery and deep service probes) runs first and masscan then gets
# Argus's measured probe rate. masscan has no discovery: it probes every address it is given. By default
# (--masscan-targets live) it gets the live hosts, so both send the same probes; with
# --masscan-targets subnet it sweeps all 256 addresses of the /24 (256 x 65,535 probes: long at that
# rate). A smaller LAN (--masscan-hosts, default 5) keeps the run short.
# Needs root, nmap, nftables, python3. Tears everything down on exit, also on failure or Ctrl-C.
set -Eeuo pipefail

HOSTS=30
SEED=1
MASSCAN=1
MASSCAN_HOSTS=5
MASSCAN_TARGETS=live
while (($#)); do
  case "$1" in
    --hosts) HOSTS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --no-masscan) MASSCAN=0; shift ;;
    --masscan-hosts) MASSCAN_HOSTS="$2"; shift 2 ;;
    --masscan-targets) MASSCAN_TARGETS="$2"; shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUN="$ROOT/node_modules/.bin/bun"
P="ph$(($$ % 100000))"
WORK="$(mktemp -d)"
PIDS=()
NET_UP=""

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n "$NET_UP" ]] && "$ROOT/scripts/testnet.sh" down --prefix "$NET_UP" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || { echo "ports-home.sh: needs root (network namespaces)" >&2; exit 2; }
command -v nmap >/dev/null || { echo "ports-home.sh: nmap is not installed" >&2; exit 2; }

secs() { echo "$(date +%s.%N) - $1" | bc; }

# lan PREFIX HOSTS SEED: builds the test network and starts the listeners of a seeded plan of home
# devices (plan.tsv: n, ip, role, open ports, dropped ports).
lan() {
  local p="$1" hosts="$2" seed="$3" n ip role opened dropped fd
  "$ROOT/scripts/testnet.sh" up --prefix "$p" --hosts "$hosts" --out "$WORK/truth-net.json" >/dev/null
  NET_UP="$p"
  python3 - "$hosts" "$seed" "$ROOT/src/portscan/home-ports.json" >"$WORK/plan.tsv" <<'PY'
import json, random, sys
hosts, seed = int(sys.argv[1]), int(sys.argv[2])
# What home devices serve (the vendors' documented ports, as in scripts/port-set-import.ts).
ROLES = {
    "router": [53, 80, 443, 1900, 5000, 7547, 49000], "synology nas": [22, 80, 139, 443, 445, 873, 5000, 5001, 5005, 6690, 32400],
    "qnap nas": [22, 139, 443, 445, 8080, 8081, 2049, 111], "home assistant": [22, 1883, 4357, 6053, 8123, 8883, 1880],
    "plex server": [22, 32400, 32469, 8096, 8920], "hikvision camera": [80, 443, 554, 8000], "dahua camera": [80, 554, 37777],
    "xmeye dvr": [80, 554, 34567, 8899], "printer": [80, 443, 515, 631, 9100], "chromecast": [8008, 8009, 8443, 10001],
    "sonos": [1400, 1443, 3400, 3401], "roku tv": [8060, 9080], "iphone": [62078], "windows pc": [135, 139, 445, 3389, 5357],
    "mac": [22, 88, 445, 548, 3283, 5900, 7000], "raspberry pi": [22, 80, 3000, 9090, 8080, 1883], "kasa plug": [9999],
    "unifi controller": [22, 8080, 8443, 8880, 8843, 6789], "mikrotik": [21, 22, 23, 80, 2000, 8291, 8728],
}
# A few ordinary services from nmap's most frequent ports, as on any LAN.
common = [21, 22, 23, 25, 80, 110, 143, 443, 993, 3306, 5432, 5900, 6379, 8000, 8888]
rng = random.Random(seed)
names = sorted(ROLES)
for n in range(1, hosts + 1):
    role = names[(n - 1) % len(names)] if n <= len(names) else rng.choice(names)
    opened = set(ROLES[role])
    if rng.random() < 0.3:
        opened.add(rng.choice(common))
    dropped = []
    if n % 5 == 0:  # a firewall that drops one port silently ("filtered")
        dropped = [rng.choice([p for p in (23, 111, 8081, 8443, 5000) if p not in opened])]
    print(f"{n}\t10.231.0.{9 + n}\t{role.replace(' ', '_')}\t{','.join(map(str, sorted(opened)))}\t{','.join(map(str, dropped))}")
PY
  while IFS=$'\t' read -r n ip role opened dropped; do
    if [[ -n "$dropped" ]]; then
      printf 'table inet bench {\n chain input {\n  type filter hook input priority 0;\n  tcp dport { %s } drop\n }\n}\n' "$dropped" \
        | ip netns exec "$p-h$n" nft -f -
    fi
    # stdin is a fifo held open by us: closing it on exit stops the listener.
    mkfifo "$WORK/in$p$n"
    ip netns exec "$p-h$n" python3 "$ROOT/scripts/bench/ports-listen.py" ${opened//,/ } <"$WORK/in$p$n" >"$WORK/ready$p$n" &
    PIDS+=($!)
    exec {fd}>"$WORK/in$p$n"
  done <"$WORK/plan.tsv"
  for n in $(seq 1 "$hosts"); do
    for _ in $(seq 100); do grep -q READY "$WORK/ready$p$n" 2>/dev/null && break; sleep 0.05; done
    grep -q READY "$WORK/ready$p$n" || { echo "listener in $p-h$n did not start" >&2; exit 1; }
  done
}

# A fresh appliance database, as `argus serve` leaves it on first start.
fresh_db() { rm -rf "$1"; "$BUN" -e "import { openDatabase } from '$ROOT/src/db/database.ts'; openDatabase('$1').close()"; }

echo "building home LAN $P with $HOSTS hosts..."
lan "$P" "$HOSTS" "$SEED"
SCAN=(ip netns exec "$P-scan")

fresh_db "$WORK/data"
t0=$(date +%s.%N)
"${SCAN[@]}" "$BUN" "$ROOT/src/main.ts" scan --profile normal --data-dir "$WORK/data" --json 10.231.0.0/24 >"$WORK/argus.json"
argus=$(secs "$t0")
t0=$(date +%s.%N)
"${SCAN[@]}" nmap -sT -T4 -n -oX "$WORK/nmap-st.xml" 10.231.0.0/24 >/dev/null
nmap_st=$(secs "$t0")
t0=$(date +%s.%N)
"${SCAN[@]}" nmap -sS -T4 -n -oX "$WORK/nmap-ss.xml" 10.231.0.0/24 >/dev/null
nmap_ss=$(secs "$t0")

echo
echo "home LAN, $HOSTS hosts (seed $SEED): argus scan --profile normal (home-1000) vs nmap -T4 (top 1,000 ports), both on the /24"
python3 "$ROOT/scripts/bench/ports-home-score.py" "$ROOT/src/portscan/home-ports.json" "$WORK/plan.tsv" \
  "$WORK/argus.json" "$argus" "$WORK/nmap-st.xml" "$nmap_st" "$WORK/nmap-ss.xml" "$nmap_ss"
verdict=$?

((MASSCAN)) || exit "$verdict"
echo
if ! command -v masscan >/dev/null; then
  echo "masscan comparison skipped: masscan is not installed (Debian: apt-get install --no-install-recommends masscan)"
  exit "$verdict"
fi
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
PIDS=()
"$ROOT/scripts/testnet.sh" down --prefix "$P" >/dev/null 2>&1 || true
P2="pm$(($$ % 100000))"
echo "full sweep, ports 1-65535 of a /24 with $MASSCAN_HOSTS live hosts ($P2):"
lan "$P2" "$MASSCAN_HOSTS" "$SEED"
SCAN=(ip netns exec "$P2-scan")
fresh_db "$WORK/data2"
t0=$(date +%s.%N)
"${SCAN[@]}" "$BUN" "$ROOT/src/main.ts" scan --profile intensive --data-dir "$WORK/data2" --json 10.231.0.0/24 >"$WORK/argus-all.json"
argus_all=$(secs "$t0")
live=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scan"]["hosts_found"])' "$WORK/argus-all.json")
if [[ "$MASSCAN_TARGETS" == subnet ]]; then
  MTARGETS=10.231.0.0/24
else
  MTARGETS=$(python3 -c 'import json,sys; print(",".join(d["ip_address"] for d in json.load(open(sys.argv[1]))["devices"]))' "$WORK/argus-all.json")
fi
# Argus's probe rate over the whole run (discovery, service probes and start-up included, so it is lower
# than the connect rate of the port phase): masscan gets the same number of probes per second.
rate=${MASSCAN_RATE:-$(python3 -c "print(max(100, round($live * 65535 / $argus_all)))")}
# masscan has its own TCP/IP stack: it needs the scanner's address and a next-hop MAC. It sends every
# frame to that one MAC and a host's TCP drops segments not addressed to its own MAC, so on a LAN without
# a router masscan runs once per host, with that host's MAC (what Argus's discovery found), at the rate.
# The scanner's kernel firewall drops the answers so it does not reset masscan's connections.
# masscan 1.3.2 may never exit after its --wait on veth links (robertdavidgraham/masscan#144: "waiting
# -N-secs"); its time is taken when its own wait has run out (the first negative "waiting"), then it is
# stopped with SIGINT, repeated as its author advises (no data is lost).
SRC_MAC=$("${SCAN[@]}" cat /sys/class/net/eth0/address)
printf 'table inet masscan {\n chain input {\n  type filter hook input priority 0;\n  tcp dport 61000 drop\n }\n}\n' | "${SCAN[@]}" nft -f -
if [[ "$MASSCAN_TARGETS" == subnet ]]; then
  # One run per address: live ones with their MAC, the rest to the broadcast MAC (no host takes them).
  python3 - "$WORK/argus-all.json" >"$WORK/mtargets.tsv" <<'PY'
import json, sys
macs = {d["ip_address"]: d["mac_address"] for d in json.load(open(sys.argv[1]))["devices"]}
print(f"10.231.0.0/24\tff:ff:ff:ff:ff:ff")
for ip, mac in macs.items():
    print(f"{ip}\t{mac}")
PY
else
  python3 -c 'import json,sys; [print(d["ip_address"], d["mac_address"], sep="\t") for d in json.load(open(sys.argv[1]))["devices"]]' "$WORK/argus-all.json" >"$WORK/mtargets.tsv"
fi
t0=$(date +%s.%N)
i=0
MASSCAN_SPANS=()
while IFS=$'\t' read -r target mac; do
  i=$((i + 1))
  n=$(python3 -c "import ipaddress; print(ipaddress.ip_network('$target', strict=False).num_addresses)")
  limit=$((n * 65535 / rate + 15))
  ts=$(date +%s.%N)
  "${SCAN[@]}" masscan -p1-65535 "$target" --rate "$rate" --wait 2 -e eth0 --adapter-ip 10.231.0.1 \
    --adapter-mac "$SRC_MAC" --router-mac "$mac" --adapter-port 61000 -oL "$WORK/masscan$i.txt" >/dev/null 2>"$WORK/masscan$i.err" &
  mpid=$!
  for _ in $(seq $((limit * 20))); do
    kill -0 "$mpid" 2>/dev/null || break
    tr '\r' '\n' <"$WORK/masscan$i.err" | grep -q 'waiting -' && break
    sleep 0.05
  done
  MASSCAN_SPANS+=("$(secs "$ts")")
  for _ in 1 2 3 4 5; do kill -0 "$mpid" 2>/dev/null || break; kill -INT "$mpid" 2>/dev/null || true; sleep 0.3; done
  kill -KILL "$mpid" 2>/dev/null || true
  wait "$mpid" 2>/dev/null || true
done <"$WORK/mtargets.tsv"
# The sum of the runs' own times (each from its start to the end of its wait), without the stopping.
masscan_s=$(python3 -c 'import sys; print(sum(map(float, sys.argv[1:])))' "${MASSCAN_SPANS[@]}")
python3 - "$WORK/plan.tsv" "$WORK/argus-all.json" "$argus_all" "$WORK/masscan.json" "$masscan_s" "$rate" "$live" "$MASSCAN_TARGETS" <<'PY'
import json, sys
plan, argus_path, argus_s, masscan_path, masscan_s, rate, live, mtargets = sys.argv[1:]
truth = set()
for line in open(plan):
    n, ip, role, opened, dropped = line.rstrip("\n").split("\t")
    truth |= {(ip, int(p)) for p in opened.split(",") if p}
argus = {(d["ip_address"], p) for d in json.load(open(argus_path))["devices"] for p in d["open_ports"]}
import glob
masscan = set()
for path in glob.glob(masscan_path.replace(".json", "*.txt")):
    for line in open(path):
        f = line.split()  # "open tcp PORT IP TIMESTAMP"
        if len(f) >= 4 and f[0] == "open" and f[1] == "tcp":
            masscan.add((f[3], int(f[2])))
import re
status = 0  # what masscan's own status line last counted, per run: its output file can lose findings when it is stopped
for path in glob.glob(masscan_path.replace(".json", "*.err")):
    counts = re.findall(r"found=(\d+)", open(path).read())
    status += int(counts[-1]) if counts else 0
for name, found, s in (("argus scan --profile intensive", argus, float(argus_s)), (f"masscan --rate {rate}", masscan, float(masscan_s))):
    print(f"  {name:<32} {s:8.1f} s   open ports found {len(found & truth)}/{len(truth)}, extra {len(found - truth)}")
print(f"  masscan's own status line counted {status} found (its output file above: {len(masscan)})")
what = "every address of the /24" if mtargets == "subnet" else f"the {live} live hosts argus found"
print(f"  ratio argus/masscan {float(argus_s) / float(masscan_s):.2f} (argus: discovery of the /24, then {live} live hosts x 65,535 ports and deep service probes; masscan: {what})")
if mtargets != "subnet":
    print(f"  masscan on all 256 addresses at that rate would send 256 x 65,535 probes: {256 * 65535 / int(rate):.0f} s (computed, not run)")
PY
exit "$verdict"
