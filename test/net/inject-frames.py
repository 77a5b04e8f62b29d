#!/usr/bin/env python3
"""Hostile-frame injector for the sweep tests: run inside a LAN host's namespace
while the scanner sweeps. It floods the scanner with ARP-ish frames that must
all be ignored: truncated, wrong opcodes, replies for addresses nobody asked
about, replies addressed to someone else, bad address lengths, multicast
senders, random bytes. Every claimed sender IP is a dead address, so any
frame the sweep wrongly accepts shows up as a phantom host.

Usage: inject-frames.py --iface eth0 --dst MAC --our-ip IP --dead IP,IP,... [--duration S]
Prints {"sent": N} when done.
"""
import argparse
import json
import random
import socket
import struct
import time


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def arp(op, sha, spa, tha, tpa, hln=6, pln=4, pro=0x0800):
    return struct.pack("!HHBBH", 1, pro, hln, pln, op) + sha + socket.inet_aton(spa) + tha + socket.inet_aton(tpa)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--dst", required=True)
    ap.add_argument("--our-ip", required=True)
    ap.add_argument("--dead", required=True)
    ap.add_argument("--duration", type=float, default=2.0)
    a = ap.parse_args()
    dead = a.dead.split(",")
    assert len(dead) >= 6, "need six dead addresses"
    dst = mac(a.dst)
    src = bytes([0x02, 0xBA, 0xD0, 0, 0, 1])
    eth = lambda d=dst, s=src, t=0x0806: d + s + struct.pack("!H", t)
    rng = random.Random(7)
    frames = [
        # truncated reply: Ethernet header and the first 8 bytes of ARP
        eth() + arp(2, src, dead[0], dst, a.our_ip)[:8],
        # cut right before the target address (passes no BPF load at 38)
        eth() + arp(2, src, dead[0], dst, a.our_ip)[:22],
        # a request, and a RARP opcode, from a dead address
        eth() + arp(1, src, dead[1], b"\0" * 6, a.our_ip),
        eth() + arp(3, src, dead[1], dst, a.our_ip),
        # a reply for an address outside the swept range
        eth() + arp(2, src, "10.231.77.7", dst, a.our_ip),
        # a reply addressed to another host
        eth() + arp(2, src, dead[2], dst, "10.231.0.99"),
        # a reply with a hardware address length of 255 (would shift every field)
        eth() + arp(2, src, dead[3], dst, a.our_ip, hln=255) + bytes(40),
        # a reply claiming a multicast sender MAC
        eth() + arp(2, bytes([0x01, 0, 0x5E, 0, 0, 1]), dead[4], dst, a.our_ip),
        # a reply with protocol type IPv6
        eth() + arp(2, src, dead[5], dst, a.our_ip, pro=0x86DD),
        # VLAN tag with a truncated ARP inside
        dst + src + struct.pack("!HHH", 0x8100, 5, 0x0806) + arp(2, src, dead[0], dst, a.our_ip)[:10],
        # LLC/SNAP whose 802.3 length cuts the ARP short
        dst + src + struct.pack("!H", 12) + bytes([0xAA, 0xAA, 3, 0, 0, 0, 0x08, 0x06]) + arp(2, src, dead[0], dst, a.our_ip),
    ]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    sent = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        for f in frames:
            s.send(f)
            sent += 1
        junk = eth() + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 60)))
        s.send(junk)
        sent += 1
        time.sleep(0.002)
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()
