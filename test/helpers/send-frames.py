#!/usr/bin/env python3
"""The test kit's one frame sender: sends Ethernet frames, one hex string per line on stdin, out
of an interface of the network namespace it runs in (AF_PACKET), at most --rate frames per second;
with --duration, round and round the list until that many seconds have passed. The frames are
built by test/helpers/frames.ts: gratuitous ARP, mDNS announcements, hostile DHCP/mDNS/ARP frames,
floods of random MACs.
Prints {"sent": N, "elapsed_s": S}."""
import argparse
import itertools
import json
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--iface", default="eth0")
ap.add_argument("--rate", type=float, default=1000.0)
ap.add_argument("--duration", type=float, default=None, help="repeat the frames for this many seconds")
a = ap.parse_args()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((a.iface, 0))
frames = [bytes.fromhex(line.strip()) for line in sys.stdin if line.strip()]
start = time.monotonic()
end = start + a.duration if a.duration is not None else None
sent = 0
for i, f in enumerate(itertools.cycle(frames) if end is not None and frames else frames):
    due = start + i / a.rate
    now = time.monotonic()
    if end is not None and now >= end:
        break
    if due - now > 0.002:  # sleep in slices of a few ms: per-frame sleeps would cap the rate
        time.sleep(due - now)
    try:
        s.send(f)
        sent += 1
    except OSError:
        pass
print(json.dumps({"sent": sent, "elapsed_s": round(time.monotonic() - start, 3)}))
