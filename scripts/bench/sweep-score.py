#!/usr/bin/env python3
"""Score one discovery run against the test network's ground truth.

Usage: sweep-score.py TRUTH.json FORMAT OUTPUT_FILE SUBNET_PREFIX
  FORMAT: argus (JSON array of {ip, mac}), argus-run (sweep-run.ts output),
          arp-scan (-q -x lines "ip<TAB>mac"), nmap (-oG -)
  SUBNET_PREFIX: the dotted prefix the truth hosts are taken from, e.g. "10.231.0."
Prints {"found", "truth", "recall", "missing", "phantoms", "wrong_mac"} as JSON.
A phantom is a reported address that is not live; a wrong MAC counts against
recall too. nmap output without MACs is scored on addresses only. The
scanner's own address is ignored (nmap lists it as up, the others skip it).
"""
import json
import re
import sys


def parse(fmt, text):
    found = {}
    if fmt == "argus":
        for r in json.loads(text):
            found[r["ip"]] = r.get("mac")
    elif fmt == "argus-run":
        for r in json.loads(text)["results"]:
            found[r["ip"]] = r.get("mac")
    elif fmt == "arp-scan":
        for line in text.splitlines():
            m = re.match(r"^(\d+\.\d+\.\d+\.\d+)\s+([0-9a-f:]{17})", line)
            if m:
                found.setdefault(m.group(1), m.group(2))
    elif fmt == "nmap":
        for line in text.splitlines():
            m = re.match(r"^Host: (\d+\.\d+\.\d+\.\d+) .*Status: Up", line)
            if m:
                found[m.group(1)] = None
    else:
        raise SystemExit("unknown format " + fmt)
    return found


def main():
    truth_path, fmt, out_path, prefix = sys.argv[1:5]
    t = json.load(open(truth_path))
    own = {t.get("scanner_ip"), t.get("sim_scanner_ip")}
    truth = {h["ip"]: h["mac"] for h in t["hosts"] if h["ip"].startswith(prefix)}
    found = {ip: mac for ip, mac in parse(fmt, open(out_path).read()).items() if ip.startswith(prefix) and ip not in own}
    wrong = [ip for ip, mac in found.items() if ip in truth and mac is not None and mac.lower() != (truth[ip] or "").lower()]
    right = [ip for ip in found if ip in truth and ip not in wrong]
    print(json.dumps({
        "found": len(found),
        "truth": len(truth),
        "recall": len(right) / len(truth) if truth else 1.0,
        "missing": sorted(ip for ip in truth if ip not in found),
        "phantoms": sorted(ip for ip in found if ip not in truth),
        "wrong_mac": sorted(wrong),
    }))


if __name__ == "__main__":
    main()
