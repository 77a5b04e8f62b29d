#!/usr/bin/env python3
"""Lay out a test network: addresses, MACs, behaviours and the ground truth.

testnet.sh asks this script for the plan so that every random-looking choice
(which MACs, which simulated addresses) is deterministic and written in one
place. Outputs, into --dir:
  truth.json  the ground truth promised by `testnet.sh up --out`
  hosts.tsv   one line per namespace host: ns, bridge-side ifname, ip/len,
              mac, behaviour, gateway ("-" when none)
  sim.tsv     one line per simulated address: ip, mac
Stdlib only.
"""
import argparse
import ipaddress
import json
import os
import random

# Globally administered OUIs of real vendors, for testing vendor lookup.
# Checked against the IEEE registry (oui-data); the name is informational.
VENDOR_OUIS = [
    ("b8:27:eb", "Raspberry Pi Foundation"),
    ("00:11:32", "Synology Incorporated"),
    ("3c:07:54", "Apple, Inc."),
    ("00:15:99", "Samsung Electronics Co.,Ltd"),
    ("3c:2a:f4", "Brother Industries, LTD."),
    ("f0:9f:c2", "Ubiquiti Inc"),
    ("00:0e:58", "Sonos, Inc."),
    ("24:0a:c4", "Espressif Inc."),
    ("00:17:88", "Philips Lighting BV"),
    ("fc:65:de", "Amazon Technologies Inc."),
    ("00:1d:0f", "TP-LINK TECHNOLOGIES CO.,LTD."),
]
ROUTER_OUI = ("38:10:d5", "AVM Audiovisuelles Marketing und Computersysteme GmbH")

# Locally administered scheme: 02:a7:KK:NN:NN:NN, KK says which population.
KIND_LAN, KIND_ROUTED, KIND_SIM, KIND_INFRA = 0x01, 0x02, 0x5E, 0xFE


def mac_from(prefix3, n):
    return prefix3 + ":" + ":".join("%02x" % b for b in n.to_bytes(3, "big"))


def local_mac(kind, n):
    return "02:a7:%02x:" % kind + ":".join("%02x" % b for b in n.to_bytes(3, "big"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--hosts", type=int, default=0)
    ap.add_argument("--lossy", type=int, default=0)
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--deaf", type=int, default=0)
    ap.add_argument("--routed", type=int, default=0)
    ap.add_argument("--sim-net", default="")
    ap.add_argument("--sim-hosts", type=int, default=0)
    ap.add_argument("--sim-seed", type=int, default=1)
    ap.add_argument("--loss-pct", type=int, default=30)
    ap.add_argument("--lan", default="10.231.0.0/24")
    ap.add_argument("--routed-net", default="10.232.0.0/24")
    ap.add_argument("--vendor-macs", action="store_true")
    ap.add_argument("--slow-delay-ms", default="300-600")
    a = ap.parse_args()
    P = a.prefix

    special = a.lossy + a.slow + a.deaf
    if min(a.hosts, a.lossy, a.slow, a.deaf, a.routed, a.sim_hosts) < 0:
        raise SystemExit("counts must be >= 0")
    if special > a.hosts:
        raise SystemExit("--lossy + --slow + --deaf (%d) exceeds --hosts (%d)" % (special, a.hosts))
    if not 0 <= a.loss_pct <= 100:
        raise SystemExit("--loss-pct must be 0..100")
    lan = ipaddress.ip_network(a.lan)
    rnet = ipaddress.ip_network(a.routed_net)
    if lan.prefixlen > 24 or rnet.prefixlen > 24:
        raise SystemExit("LAN and routed subnets must be /24 or wider")
    # Hosts take .10 upwards; .1 is the scanner, the last usable is the router.
    if a.hosts > lan.num_addresses - 12 or a.routed > rnet.num_addresses - 12:
        raise SystemExit("too many hosts for the subnet")
    if a.hosts > 999 or a.routed > 999:
        raise SystemExit("at most 999 hosts per population (interface names must stay <= 15 chars)")
    dmin, dmax = (int(x) for x in a.slow_delay_ms.split("-"))

    # Behaviours in a fixed order so a test can predict them: normal first,
    # then lossy, slow, deaf (the truth file is authoritative anyway).
    order = (["normal"] * (a.hosts - special) + ["lossy"] * a.lossy
             + ["slow"] * a.slow + ["deaf"] * a.deaf)

    def lan_mac(i):
        if a.vendor_macs:
            oui = VENDOR_OUIS[(i - 1) % len(VENDOR_OUIS)][0]
            return mac_from(oui, 0xA70000 + i)
        return local_mac(KIND_LAN, i)

    hosts, tsv = [], []
    lan_len = lan.prefixlen
    for i, beh in enumerate(order, start=1):
        ip = str(lan.network_address + 9 + i)
        mac = lan_mac(i)
        ns = "%s-h%d" % (P, i)
        h = {"ip": ip, "mac": mac, "ns": ns, "behaviour": beh, "via": "arp"}
        if beh == "lossy":
            h["loss_pct"] = a.loss_pct
        if beh == "slow":
            h["arp_delay_ms"] = [dmin, dmax]
        hosts.append(h)
        tsv.append((ns, "%s-h%d" % (P, i), "%s/%d" % (ip, lan_len), mac, beh, "-"))

    scanner_ip = str(lan.network_address + 1)
    router_lan_ip = str(lan.broadcast_address - 1)
    router_rnet_ip = str(rnet.broadcast_address - 1)
    infra = {
        "scanner_mac": local_mac(KIND_INFRA, 1),
        "router_lan_mac": mac_from(ROUTER_OUI[0], 0xA70001) if a.vendor_macs else local_mac(KIND_INFRA, 2),
        "router_routed_mac": local_mac(KIND_INFRA, 3),
        "sim_mac": local_mac(KIND_INFRA, 4),
    }
    if a.routed > 0:
        # The router is a real LAN host a sweep finds; list it so the truth is complete.
        hosts.append({"ip": router_lan_ip, "mac": infra["router_lan_mac"], "ns": P + "-rtr",
                      "behaviour": "normal", "via": "arp", "role": "router"})
        for i in range(1, a.routed + 1):
            ip = str(rnet.network_address + 9 + i)
            ns = "%s-r%d" % (P, i)
            hosts.append({"ip": ip, "mac": None, "ns": ns, "behaviour": "routed", "via": "icmp"})
            tsv.append((ns, "%s-r%d" % (P, i), "%s/%d" % (ip, rnet.prefixlen),
                        local_mac(KIND_ROUTED, i), "routed", router_rnet_ip))

    sim_lines = []
    sim_net = None
    if a.sim_hosts > 0:
        if not a.sim_net:
            raise SystemExit("--sim-hosts needs --sim-net")
        sim_net = ipaddress.ip_network(a.sim_net)
        if sim_net.overlaps(lan) or sim_net.overlaps(rnet):
            raise SystemExit("--sim-net overlaps the LAN or routed subnet")
        # The scanner owns the first address; network and broadcast are never hosts.
        pool = range(2, sim_net.num_addresses - 1)
        if a.sim_hosts > len(pool):
            raise SystemExit("--sim-hosts exceeds the size of --sim-net")
        rng = random.Random(a.sim_seed)
        offsets = sorted(rng.sample(pool, a.sim_hosts))
        for n, off in enumerate(offsets, start=1):
            ip = str(sim_net.network_address + off)
            if a.vendor_macs:
                mac = mac_from(VENDOR_OUIS[rng.randrange(len(VENDOR_OUIS))][0], 0x5E0000 + n)
            else:
                mac = local_mac(KIND_SIM, n)
            hosts.append({"ip": ip, "mac": mac, "ns": P + "-sim", "behaviour": "sim", "via": "arp"})
            sim_lines.append("%s\t%s" % (ip, mac))

    truth = {
        "prefix": P,
        "scanner_ns": P + "-scan",
        "scanner_iface": "eth0",
        "scanner_ip": scanner_ip,
        "scanner_mac": infra["scanner_mac"],
        "lan_subnet": str(lan),
        "routed_subnet": str(rnet) if a.routed > 0 else None,
        "router_ip": router_lan_ip if a.routed > 0 else None,
        "sim_subnet": str(sim_net) if sim_net else None,
        "sim_scanner_ip": str(sim_net.network_address + 1) if sim_net else None,
        "mac_mode": "vendor" if a.vendor_macs else "local",
        "hosts": hosts,
    }
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.dir, "hosts.tsv"), "w") as f:
        f.writelines("\t".join(r) + "\n" for r in tsv)
    with open(os.path.join(a.dir, "sim.tsv"), "w") as f:
        f.writelines(l + "\n" for l in sim_lines)
    # Shell-readable scalars for testnet.sh.
    with open(os.path.join(a.dir, "plan.env"), "w") as f:
        for k, v in [("SCANNER_IP", scanner_ip), ("LAN_LEN", lan_len),
                     ("ROUTER_LAN_IP", router_lan_ip), ("ROUTER_RNET_IP", router_rnet_ip),
                     ("RNET", str(rnet)), ("RNET_LEN", rnet.prefixlen),
                     ("SIM_NET", str(sim_net) if sim_net else ""),
                     ("SIM_SCANNER_CIDR", "%s/%d" % (sim_net.network_address + 1, sim_net.prefixlen) if sim_net else ""),
                     ("SLOW_DELAY_MIN", dmin), ("SLOW_DELAY_MAX", dmax),
                     ] + [(k.upper(), v) for k, v in infra.items()]:
            f.write("%s=%s\n" % (k, v))


if __name__ == "__main__":
    main()
