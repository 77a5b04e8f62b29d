#!/usr/bin/env python3
"""Scores scripts/bench/ports-home.sh: the open ports nmap's default scan found, the ones Argus's
`normal` profile found, every nmap-found port Argus missed (the benchmark fails if there is one), the
planted ports each missed, and the time ratio Argus/nmap (target <= 0.7). Times are wall-clock seconds
of the whole process (start-up, discovery, service detection and saving included).
Usage: ports-home-score.py HOME_PORTS.json PLAN.tsv ARGUS.json ARGUS_S NMAP_ST.xml ST_S NMAP_SS.xml SS_S"""
import json
import sys
import xml.etree.ElementTree as ET

TARGET = 0.7


def nmap_open(path):
    found = set()
    for h in ET.parse(path).getroot().iter("host"):
        ip = next(a.get("addr") for a in h.iter("address") if a.get("addrtype") == "ipv4")
        for p in h.iter("port"):
            if p.find("state").get("state") == "open":
                found.add((ip, int(p.get("portid"))))
    return found


def fmt(pairs):
    return ", ".join(f"{ip}:{port}" for ip, port in sorted(pairs, key=lambda x: (tuple(map(int, x[0].split("."))), x[1])))


home_path, plan_path, argus_path, argus_s, st_path, st_s, ss_path, ss_s = sys.argv[1:]
argus_s, st_s, ss_s = float(argus_s), float(st_s), float(ss_s)
home = {p for p, _ in json.load(open(home_path))["ports"]}
truth = set()
for line in open(plan_path):
    n, ip, role, opened, dropped = line.rstrip("\n").split("\t")
    truth |= {(ip, int(p)) for p in opened.split(",") if p}
argus = {(d["ip_address"], p) for d in json.load(open(argus_path))["devices"] for p in d["open_ports"]}
st = nmap_open(st_path)
ss = nmap_open(ss_path)

print(f"  planted open ports          {len(truth)} on {len({ip for ip, _ in truth})} hosts")
print(f"  nmap -sT -T4 found          {len(st)}   (-sS: {len(ss)})")
print(f"  argus normal found          {len(argus)}")
missed = (st | ss) - argus
print(f"  nmap-found ports argus missed: {len(missed)}{'  ' + fmt(missed) if missed else ''}")
only_argus = argus - st
print(f"  found by argus, not by nmap -sT: {len(only_argus)}  (ports: {sorted({p for _, p in only_argus})})")
print(f"  planted ports argus missed: {len(truth - argus)}{'  ' + fmt(truth - argus) if truth - argus else ''}")
print(f"  planted ports nmap -sT missed: {len(truth - st)}  (ports: {sorted({p for _, p in truth - st})})")
print(f"  not planted, reported open: argus {len(argus - truth)}, nmap -sT {len(st - truth)}")
print()
print(f"  {'scanner':<36} {'seconds':>8} {'argus/nmap':>11}")
print(f"  {'argus scan --profile normal':<36} {argus_s:8.2f}")
print(f"  {'nmap -sT -T4 (top 1,000, discovery)':<36} {st_s:8.2f} {argus_s / st_s:11.2f}")
print(f"  {'nmap -sS -T4 (top 1,000, discovery)':<36} {ss_s:8.2f} {argus_s / ss_s:11.2f}")
ok = not missed and argus_s / st_s <= TARGET
print(f"  target: no nmap-found port missed, argus <= {TARGET} x nmap -sT time: {'met' if ok else 'NOT met'}")
sys.exit(0 if ok else 1)
