#!/usr/bin/env python3
"""User-space ARP + ICMP echo responder for the Argus test network.

Two roles, one code path:
  * the "slow" host (a sleeping phone): its eth0 has `arp off`, so the kernel
    neither answers ARP nor can it send a correct echo reply; this answers ARP
    for the host's IP after a random delay and answers echo requests itself.
  * the simulator: answers ARP and echo for thousands of addresses, each with
    its own MAC, from one namespace whose interface has no address at all.

Usage: responder.py --iface eth0 --table FILE [--arp-delay-ms MIN-MAX]
                    [--seed N] [--ready FILE]
The table has one "ip<TAB>mac" per line. Stdlib only; frames are parsed with
explicit length checks because anything on the wire may be malformed.
"""
import argparse
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

from inet import checksum as ip_checksum

ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23  # Linux >= 4.20: do not hand our own replies back to us


def mac_bytes(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC " + s)
    return b


def load_table(path):
    table = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ip, mac = line.split()[:2]
            table[socket.inet_aton(ip)] = mac_bytes(mac)
    return table


def arp_reply(frame, table):
    """Reply frame for an ARP request to one of our IPs, else None."""
    if len(frame) < 42:
        return None
    # htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, op 1 (request)
    if frame[14:22] != b"\x00\x01\x08\x00\x06\x04\x00\x01":
        return None
    sha, spa, tpa = frame[22:28], frame[28:32], frame[38:42]
    mine = table.get(tpa)
    if mine is None:
        return None
    return (sha + mine + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02"
            + mine + tpa + sha + spa)


def echo_reply(frame, table):
    """Reply frame for an ICMP echo request to one of our IP/MAC pairs, else None."""
    if len(frame) < 34 or frame[23] != 1:  # IP protocol 1 = ICMP
        return None
    vihl = frame[14]
    ihl = (vihl & 0x0F) * 4
    if vihl >> 4 != 4 or ihl < 20:
        return None
    total = struct.unpack_from("!H", frame, 16)[0]
    if total < ihl + 8 or 14 + total > len(frame):
        return None
    if struct.unpack_from("!H", frame, 20)[0] & 0x3FFF:  # fragments: not worth it here
        return None
    dst = frame[30:34]
    mine = table.get(dst)
    if mine is None or frame[0:6] != mine:
        return None
    icmp_off = 14 + ihl
    if frame[icmp_off] != 8 or frame[icmp_off + 1] != 0:
        return None
    src = frame[26:30]
    ip_hdr = bytearray(frame[14:14 + ihl])
    ip_hdr[8] = 64                       # fresh TTL
    ip_hdr[12:16] = dst
    ip_hdr[16:20] = src
    ip_hdr[10:12] = b"\0\0"
    struct.pack_into("!H", ip_hdr, 10, ip_checksum(bytes(ip_hdr)))
    icmp = bytearray(frame[icmp_off:14 + total])
    icmp[0] = 0                          # echo reply
    icmp[2:4] = b"\0\0"
    struct.pack_into("!H", icmp, 2, ip_checksum(bytes(icmp)))
    return frame[6:12] + mine + b"\x08\x00" + bytes(ip_hdr) + bytes(icmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--arp-delay-ms", default="0-0")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ready", default=None)
    a = ap.parse_args()
    dmin, dmax = (int(x) / 1000.0 for x in a.arp_delay_ms.split("-"))
    rng = random.Random(a.seed)
    table = load_table(a.table)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass  # older kernel: outgoing copies are simply not requests, so they are ignored
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.bind((a.iface, 0))
    s.setblocking(False)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())

    pending = []  # heap of (due, seq, frame) for delayed ARP replies
    seq = 0
    poller = select.poll()
    poller.register(s, select.POLLIN)
    send, recv = s.send, s.recv
    delayed = dmax > 0
    while True:
        timeout = None
        if pending:
            timeout = max(0, (pending[0][0] - time.monotonic()) * 1000)
        poller.poll(timeout)
        # Drain everything queued: one poll per batch keeps the simulator fast.
        while True:
            try:
                frame = recv(2048)
            except BlockingIOError:
                break
            et = frame[12:14]
            if et == b"\x08\x06":
                r = arp_reply(frame, table)
                if r is None:
                    continue
                if delayed:
                    seq += 1
                    heapq.heappush(pending, (time.monotonic() + rng.uniform(dmin, dmax), seq, r))
                else:
                    _send(send, r)
            elif et == b"\x08\x00":
                r = echo_reply(frame, table)
                if r is not None:
                    _send(send, r)
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _send(send, heapq.heappop(pending)[2])


def _send(send, frame):
    try:
        send(frame)
    except (BlockingIOError, OSError):
        pass  # a full queue drops the reply, as a busy real host would


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
