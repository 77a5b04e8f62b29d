#!/usr/bin/env python3
"""Sends Ethernet frames, one hex string per line on stdin, out of an interface of the network
namespace it runs in (AF_PACKET), at most --rate frames per second. For the passive-watch tests:
gratuitous ARP, mDNS announcements, hostile DHCP/mDNS frames, floods of random MACs.
Prints {"sent": N, "elapsed_s": S}."""
import argparse
import json
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--iface", default="eth0")
ap.add_argument("--rate", type=float, default=1000.0)
a = ap.parse_args()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((a.iface, 0))
frames = [bytes.fromhex(line.strip()) for line in sys.stdin if line.strip()]
start = time.monotonic()
sent = 0
for i, f in enumerate(frames):
    due = start + i / a.rate
    now = time.monotonic()
    if due - now > 0.002:  # sleep in slices of a few ms: per-frame sleeps would cap the rate
        time.sleep(due - now)
    try:
        s.send(f)
        sent += 1
    except OSError:
        pass
print(json.dumps({"sent": sent, "elapsed_s": round(time.monotonic() - start, 3)}))
