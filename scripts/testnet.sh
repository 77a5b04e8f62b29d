#!/usr/bin/env bash
# Build and tear down the Argus test network: network namespaces only, nothing
# in (and no traffic from) the root namespace.
#
#   testnet.sh up --prefix P [--hosts N] [--lossy K] [--slow S] [--deaf D]
#                 [--routed R] [--sim-net CIDR --sim-hosts X] [--loss-pct PCT]
#                 [--vendor-macs] [--sim-seed N] [--slow-delay-ms MIN-MAX]
#                 [--lan CIDR] [--routed-net CIDR] [--out FILE]
#   testnet.sh down --prefix P        (idempotent)
#   testnet.sh list                   (prefixes that have state or namespaces)
#
# Layout (P = prefix, [a-z0-9]{1,8}):
#   P-br    LAN bridge "P-lan"; its ports are named P-s, P-r, P-sim, P-hN
#   P-scan  scanner: eth0 10.231.0.1/24 (+ first address of --sim-net),
#           route to the routed subnet via 10.231.0.254
#           (--lan defaults to 10.231.0.0/24, or 10.231.0.0/23 when --hosts
#           exceeds 244; the router then sits at 10.231.1.254)
#   P-hN    LAN hosts 10.231.0.(9+N), eth0, behaviours normal|lossy|slow|deaf
#   P-rtr   router: eth0 10.231.0.254 on the LAN, bridge P-rlan 10.232.0.254
#   P-rN    routed hosts 10.232.0.(9+N), default route via the router
#   P-sim   simulator: eth0 without address, a responder answers ARP + echo
#           for --sim-hosts addresses of --sim-net with distinct MACs
# The ground truth (see scripts/testnet/plan.py) is written to --out and to
# /run/argus-testnet/P/truth.json. Responders' pid files live beside it.
set -Eeuo pipefail
trap 'echo "testnet: line $LINENO failed: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/testnet"
STATE_ROOT="${ARGUS_TESTNET_STATE:-/run/argus-testnet}"
PY="${PYTHON:-python3}"

die() { echo "testnet: $*" >&2; exit 2; }

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

check_prefix() {
  [[ "$1" =~ ^[a-z0-9]{1,8}$ ]] || die "prefix must match [a-z0-9]{1,8}, got '$1'"
}

# Namespaces that belong to prefix $1: every name is "$1-" followed by more.
prefix_namespaces() {
  ip netns list 2>/dev/null | awk -v p="$1-" '{ if (index($1, p) == 1) print $1 }'
}

# Kill a pid only when it is one of our responders (pids get reused).
kill_ours() {
  local pid="$1" cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" == *"$LIB/"* ]] || return 0
  kill "$pid" 2>/dev/null || true
}

do_down() {
  local p="$1" dir="$STATE_ROOT/$1" f ns pid
  if [[ -d "$dir" ]]; then
    for f in "$dir"/*.pid; do
      [[ -e "$f" ]] || continue
      kill_ours "$(cat "$f" 2>/dev/null || true)"
    done
  fi
  # Anything else still running inside our namespaces was started for this
  # net (e.g. by a test via nsExec); the namespaces are ours, so are they.
  local nss
  nss="$(prefix_namespaces "$p")"
  if [[ -n "$nss" ]]; then
    for ns in $nss; do
      for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
        kill -KILL "$pid" 2>/dev/null || true
      done
    done
    # One ip process for all deletions; the kernel frees veths and bridges
    # together with their namespaces.
    sed 's/^/netns del /' <<<"$nss" | ip -force -batch - 2>/dev/null || true
  fi
  rm -rf "$dir"
  # Verify: a leftover namespace is a bug worth failing loudly on.
  nss="$(prefix_namespaces "$p")"
  [[ -z "$nss" ]] || die "namespaces still present after down: $nss"
}

start_responder() { # ns name table delay seed
  local ns="$1" name="$2" table="$3" delay="$4" seed="$5" dir="$STATE_ROOT/$PREFIX"
  rm -f "$dir/$name.ready"
  # setsid: the responder must outlive this shell and any test runner's
  # process group; the pid file is how `down` finds it.
  setsid ip netns exec "$ns" "$PY" "$LIB/responder.py" --iface eth0 --table "$table" \
    --arp-delay-ms "$delay" --seed "$seed" --ready "$dir/$name.ready" \
    </dev/null >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  READY_FILES+=("$dir/$name.ready")
}

wait_ready() {
  local f pid deadline=$((SECONDS + 10))
  for f in "${READY_FILES[@]}"; do
    pid="$(cat "${f%.ready}.pid")"
    while [[ ! -s "$f" ]]; do
      if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
        die "responder did not start: ${f%.ready}: $(tail -n 5 "${f%.ready}.log" 2>/dev/null)"
      fi
      sleep 0.02
    done
    # The responder's own word on its pid is authoritative for `down`.
    cp "$f" "${f%.ready}.pid"
  done
}

do_up() {
  local dir="$STATE_ROOT/$PREFIX"
  [[ -z "$(prefix_namespaces "$PREFIX")" ]] || die "prefix $PREFIX already has namespaces; run down first"
  mkdir -p "$dir"
  UP_DONE=0
  trap 'rc=$?; if [[ $UP_DONE != 1 ]]; then echo "testnet: up failed, cleaning up $PREFIX" >&2; do_down "$PREFIX" || true; fi; exit $rc' EXIT
  # A signal must also run the cleanup above (bash runs EXIT traps on exit only).
  trap 'exit 143' TERM
  trap 'exit 130' INT

  local plan_args=(--prefix "$PREFIX" --dir "$dir" --hosts "$HOSTS" --lossy "$LOSSY" --slow "$SLOW"
    --deaf "$DEAF" --routed "$ROUTED" --loss-pct "$LOSS_PCT" --sim-seed "$SIM_SEED"
    --slow-delay-ms "$SLOW_DELAY")
  # A /24 holds 244 hosts (.10-.253, router .254); more need a /23.
  if [[ -z "$LAN" ]]; then
    if ((HOSTS > 244)); then LAN=10.231.0.0/23; else LAN=10.231.0.0/24; fi
  fi
  plan_args+=(--lan "$LAN" --routed-net "$RNET_ARG")
  if [[ -n "$SIM_NET" ]]; then plan_args+=(--sim-net "$SIM_NET"); fi
  if ((SIM_HOSTS > 0)); then plan_args+=(--sim-hosts "$SIM_HOSTS"); fi
  if ((VENDOR_MACS)); then plan_args+=(--vendor-macs); fi
  "$PY" "$LIB/plan.py" "${plan_args[@]}"
  # shellcheck disable=SC1091
  source "$dir/plan.env"

  local P="$PREFIX" has_rtr=0 has_sim=0
  if ((ROUTED > 0)); then has_rtr=1; fi
  if ((SIM_HOSTS > 0)); then has_sim=1; fi

  # 1. All namespaces in one ip process.
  {
    echo "netns add $P-br"
    echo "netns add $P-scan"
    if ((has_rtr)); then echo "netns add $P-rtr"; fi
    if ((has_sim)); then echo "netns add $P-sim"; fi
    cut -f1 "$dir/hosts.tsv" | sed 's/^/netns add /'
  } >"$dir/netns.batch"
  ip -batch "$dir/netns.batch"

  # 2. LAN bridge and every LAN veth pair, created from inside P-br with the
  #    peer end placed straight into its namespace (never in the root one).
  #    addrgenmode none: no IPv6 link-local, so no ND/MLD noise on the wire.
  lan_port() { # bridge-port-name peer-ns mac
    echo "link add $1 type veth peer name eth0 address $3 netns $2"
    echo "link set $1 addrgenmode none"
    echo "link set $1 master $P-lan up"
  }
  {
    echo "link add $P-lan type bridge stp_state 0 mcast_snooping 0"
    echo "link set $P-lan addrgenmode none"
    echo "link set $P-lan up"
    lan_port "$P-s" "$P-scan" "$SCANNER_MAC"
    if ((has_rtr)); then lan_port "$P-r" "$P-rtr" "$ROUTER_LAN_MAC"; fi
    if ((has_sim)); then lan_port "$P-sim" "$P-sim" "$SIM_MAC"; fi
    awk -F'\t' '$5 != "routed"' "$dir/hosts.tsv" | while IFS=$'\t' read -r ns port _ mac _ _; do
      lan_port "$port" "$ns" "$mac"
    done
  } >"$dir/br.batch"
  ip -n "$P-br" -batch "$dir/br.batch"

  # 3. Router with its own bridge for the routed subnet.
  if ((has_rtr)); then
    {
      echo "link set lo up"
      echo "link set eth0 addrgenmode none"
      echo "addr add $ROUTER_LAN_IP/$LAN_LEN dev eth0"
      echo "link set eth0 up"
      echo "link add $P-rlan address $ROUTER_ROUTED_MAC type bridge stp_state 0 mcast_snooping 0"
      echo "link set $P-rlan addrgenmode none"
      echo "addr add $ROUTER_RNET_IP/$RNET_LEN dev $P-rlan"
      echo "link set $P-rlan up"
      awk -F'\t' '$5 == "routed"' "$dir/hosts.tsv" | while IFS=$'\t' read -r ns port _ mac _ _; do
        echo "link add $port type veth peer name eth0 address $mac netns $ns"
        echo "link set $port addrgenmode none"
        echo "link set $port master $P-rlan up"
      done
    } >"$dir/rtr.batch"
    ip -n "$P-rtr" -batch "$dir/rtr.batch"
    ip netns exec "$P-rtr" sysctl -qw net.ipv4.ip_forward=1
  fi

  # 4. Scanner.
  {
    echo "link set lo up"
    echo "link set eth0 addrgenmode none"
    echo "addr add $SCANNER_IP/$LAN_LEN dev eth0"
    if [[ -n "$SIM_SCANNER_CIDR" ]]; then echo "addr add $SIM_SCANNER_CIDR dev eth0"; fi
    echo "link set eth0 up"
    if ((has_rtr)); then echo "route add $RNET via $ROUTER_LAN_IP dev eth0"; fi
  } >"$dir/scan.batch"
  ip -n "$P-scan" -batch "$dir/scan.batch"

  # 5. Each host: one ip process (addresses live in the host's namespace).
  local ns port cidr mac beh gw
  while IFS=$'\t' read -r ns port cidr mac beh gw; do
    {
      echo "link set lo up"
      echo "link set eth0 addrgenmode none"
      echo "addr add $cidr dev eth0"
      if [[ "$beh" == slow ]]; then echo "link set eth0 arp off up"; else echo "link set eth0 up"; fi
      if [[ "$gw" != "-" ]]; then echo "route add default via $gw dev eth0"; fi
    } | ip -n "$ns" -batch -
  done <"$dir/hosts.tsv"

  # 6. Behaviours.
  READY_FILES=()
  while IFS=$'\t' read -r ns port cidr mac beh gw; do
    case "$beh" in
      deaf) ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 ;;
      lossy)
        # Drop a random share of incoming ARP requests and echo requests.
        ip netns exec "$ns" nft -f - <<EOF
table arp argus_loss {
  chain input { type filter hook input priority 0; policy accept;
    arp operation request numgen random mod 100 < $LOSS_PCT drop
  }
}
table ip argus_loss {
  chain input { type filter hook input priority 0; policy accept;
    icmp type echo-request numgen random mod 100 < $LOSS_PCT drop
  }
}
EOF
        ;;
      slow)
        # With arp off the kernel would send echo replies to its own MAC;
        # the responder answers echo instead.
        ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
        printf '%s\t%s\n' "${cidr%/*}" "$mac" >"$dir/$ns.table"
        start_responder "$ns" "$ns" "$dir/$ns.table" "$SLOW_DELAY" "${ns##*-h}"
        ;;
    esac
  done <"$dir/hosts.tsv"

  if ((has_sim)); then
    # No address on the simulator's eth0: the kernel there stays silent and
    # the responder alone speaks for the simulated hosts. Promiscuous, since
    # frames are addressed to thousands of MACs that are not the interface's.
    printf 'link set lo up\nlink set eth0 addrgenmode none\nlink set eth0 promisc on up\n' | ip -n "$P-sim" -batch -
    start_responder "$P-sim" sim "$dir/sim.tsv" "0-0" "$SIM_SEED"
  fi
  wait_ready

  if [[ -n "$OUT" ]]; then cp "$dir/truth.json" "$OUT"; fi
  UP_DONE=1
  trap - EXIT
}

cmd="${1:-}"
[[ -n "$cmd" ]] || { usage; exit 2; }
shift
PREFIX="" HOSTS=0 LOSSY=0 SLOW=0 DEAF=0 ROUTED=0 SIM_NET="" SIM_HOSTS=0 LOSS_PCT=30 OUT=""
VENDOR_MACS=0 SIM_SEED=1 SLOW_DELAY="300-600" LAN="" RNET_ARG="10.232.0.0/24"
while (($#)); do
  case "$1" in
    --prefix) PREFIX="${2:?}"; shift 2 ;;
    --hosts) HOSTS="${2:?}"; shift 2 ;;
    --lossy) LOSSY="${2:?}"; shift 2 ;;
    --slow) SLOW="${2:?}"; shift 2 ;;
    --deaf) DEAF="${2:?}"; shift 2 ;;
    --routed) ROUTED="${2:?}"; shift 2 ;;
    --sim-net) SIM_NET="${2:?}"; shift 2 ;;
    --sim-hosts) SIM_HOSTS="${2:?}"; shift 2 ;;
    --sim-seed) SIM_SEED="${2:?}"; shift 2 ;;
    --loss-pct) LOSS_PCT="${2:?}"; shift 2 ;;
    --lan) LAN="${2:?}"; shift 2 ;;
    --routed-net) RNET_ARG="${2:?}"; shift 2 ;;
    --slow-delay-ms) SLOW_DELAY="${2:?}"; shift 2 ;;
    --vendor-macs) VENDOR_MACS=1; shift ;;
    --out) OUT="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
for v in HOSTS LOSSY SLOW DEAF ROUTED SIM_HOSTS LOSS_PCT SIM_SEED; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a non-negative integer"
done
[[ "$SLOW_DELAY" =~ ^[0-9]+-[0-9]+$ ]] || die "--slow-delay-ms must look like 300-600"
[[ "$(id -u)" == 0 ]] || die "must run as root (creates network namespaces)"

case "$cmd" in
  up) check_prefix "$PREFIX"; do_up ;;
  down) check_prefix "$PREFIX"; do_down "$PREFIX" ;;
  list)
    { ls "$STATE_ROOT" 2>/dev/null || true; ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^\([a-z0-9]\{1,8\}\)-\(scan\|br\)$/\1/p'; } | sort -u ;;
  *) usage; exit 2 ;;
esac
