#!/usr/bin/env python3
"""Scores scripts/bench/ports.sh runs: compares each scanner's findings with the ground truth and prints
times and ratios. All times are wall-clock seconds of the whole process (start-up included), so the
comparison is like for like; the scan time Argus measures itself is shown too.
Usage: ports-score.py TRUTH.json OURS.json OURS_SECONDS NMAP_ST.xml ST_SECONDS [NMAP_SS.xml SS_SECONDS]"""
import json
import sys
import xml.etree.ElementTree as ET


def nmap_findings(path):
    hosts = {}
    for h in ET.parse(path).getroot().iter("host"):
        ip = h.find("address").get("addr")
        opened, filtered = [], []
        for p in h.iter("port"):
            state = p.find("state").get("state")
            if state == "open":
                opened.append(int(p.get("portid")))
            elif state == "filtered":
                filtered.append(int(p.get("portid")))
        hosts[ip] = {"open": sorted(opened), "filtered": sorted(filtered)}
    return hosts


def compare(name, found, truth):
    wrong = []
    for ip, t in truth.items():
        f = found.get(ip, {"open": [], "filtered": []})
        for k in ("open", "filtered"):
            if sorted(f[k]) != sorted(t[k]):
                wrong.append(f"{ip} {k}: got {sorted(f[k])}, expected {sorted(t[k])}")
    status = "same findings as the ground truth" if not wrong else f"{len(wrong)} differences"
    print(f"  {name:<24} {status}")
    for w in wrong[:10]:
        print(f"    {w}")
    return not wrong


truth = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
ours_s = float(sys.argv[3])
st = nmap_findings(sys.argv[4])
st_s = float(sys.argv[5])
rows = [("argus scanPorts", ours_s), ("nmap -sT -T4", st_s)]
ok = compare("argus scanPorts", ours["hosts"], truth)
ok &= compare("nmap -sT -T4", st, truth)
if len(sys.argv) > 7:
    ss = nmap_findings(sys.argv[6])
    ss_s = float(sys.argv[7])
    rows.append(("nmap -sS -T4", ss_s))
    ok &= compare("nmap -sS -T4", ss, truth)
print()
print(f"  {'scanner':<24} {'seconds':>8} {'argus speed-up':>15}")
for name, s in rows:
    print(f"  {name:<24} {s:8.2f} {s / ours_s:14.2f}x")
print(f"  (argus's own scan time, without process start-up: {ours['elapsed_ms'] / 1000:.2f} s)")
sys.exit(0 if ok else 1)
