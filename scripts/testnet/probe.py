#!/usr/bin/env python3
"""Reference prober for the Argus test network: ARP and ICMP echo, nothing else.

Written independently of Argus's scanner so tests of the test network (and
benchmarks of the simulator) do not rely on the code under test. Run it inside
the scanner namespace:

  ip netns exec P-scan probe.py arp  --iface eth0 --src 10.231.0.1 [opts] TARGET...
  ip netns exec P-scan probe.py ping [opts] TARGET...

TARGET is an IPv4 address or CIDR (host addresses only). Options:
  --count N      requests per target (rounds), default 1
  --interval MS  pause between rounds, default 0
  --rate PPS     pace sending (0 = as fast as the socket takes), default 0
  --wait MS      keep listening after the last send, default 1000
Prints one JSON object: {"sent", "elapsed_s", "send_pps", "replies",
"last_reply_s" (since the first send), "answered":
{ip: {"replies", "macs" (arp), "rtt_ms": [...]}}}. Stdlib only.
"""
import argparse
import ipaddress
import json
import os
import select
import socket
import struct
import time

from inet import checksum

ETH_P_ARP = 0x0806


def expand(targets):
    out = []
    for t in targets:
        net = ipaddress.ip_network(t, strict=False)
        out.extend(str(h) for h in (net.hosts() if net.num_addresses > 1 else [net.network_address]))
    return out


class Prober:
    def __init__(self, a):
        self.a = a
        self.answered = {}
        self.last_sent = {}  # key -> send time, to compute RTTs
        self.sent = 0
        self.replies = 0
        self.last_reply = None

    def run(self, targets):
        a = self.a
        gap = 1.0 / a.rate if a.rate > 0 else 0.0
        t0 = time.monotonic()
        next_at = t0
        for rnd in range(a.count):
            for ip in targets:
                if gap:
                    # Receive while waiting for the next send slot.
                    while True:
                        d = next_at - time.monotonic()
                        if d <= 0:
                            break
                        self.drain(d)
                    next_at += gap
                self.send(ip, rnd)
                self.sent += 1
                if self.sent % 64 == 0:
                    self.drain(0)
            if a.interval and rnd + 1 < a.count:
                end = time.monotonic() + a.interval / 1000.0
                while time.monotonic() < end:
                    self.drain(end - time.monotonic())
        send_done = time.monotonic()
        end = send_done + a.wait / 1000.0
        while True:
            d = end - time.monotonic()
            if d <= 0:
                break
            self.drain(d)
        return {"sent": self.sent, "elapsed_s": round(time.monotonic() - t0, 3),
                "send_pps": round(self.sent / max(send_done - t0, 1e-6)),
                "replies": self.replies,
                "last_reply_s": round(self.last_reply - t0, 3) if self.last_reply else None,
                "answered": self.answered}

    def drain(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return
        while True:
            try:
                data = self.sock.recv(2048)
            except BlockingIOError:
                return
            self.handle(data, time.monotonic())

    def note(self, ip, key, now, mac=None):
        e = self.answered.setdefault(ip, {"replies": 0, "rtt_ms": []})
        e["replies"] += 1
        self.replies += 1
        self.last_reply = now
        sent_at = self.last_sent.get(key)
        if sent_at is not None:
            e["rtt_ms"].append(round((now - sent_at) * 1000, 2))
        if mac is not None:
            macs = e.setdefault("macs", [])
            if mac not in macs:
                macs.append(mac)


class ArpProber(Prober):
    def __init__(self, a):
        super().__init__(a)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((a.iface, ETH_P_ARP))
        self.sock.setblocking(False)
        self.mac = self.sock.getsockname()[4]
        self.src = socket.inet_aton(a.src)
        self.head = (b"\xff" * 6 + self.mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01"
                     + self.mac + self.src + b"\0" * 6)

    def send(self, ip, rnd):
        tpa = socket.inet_aton(ip)
        self.last_sent[tpa] = time.monotonic()
        try:
            self.sock.send(self.head + tpa)
        except BlockingIOError:
            select.select([], [self.sock], [], 0.01)
            self.sock.send(self.head + tpa)

    def handle(self, f, now):
        # A reply (op 2) addressed to our protocol address.
        if len(f) < 42 or f[14:22] != b"\x00\x01\x08\x00\x06\x04\x00\x02" or f[38:42] != self.src:
            return
        spa = f[28:32]
        self.note(socket.inet_ntoa(spa), spa, now, ":".join("%02x" % b for b in f[22:28]))


class PingProber(Prober):
    def __init__(self, a):
        super().__init__(a)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.setblocking(False)
        self.ident = os.getpid() & 0xFFFF

    def send(self, ip, rnd):
        seq = rnd & 0xFFFF
        hdr = struct.pack("!BBHHH", 8, 0, 0, self.ident, seq)
        payload = b"argus-testnet-probe"
        pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), self.ident, seq) + payload
        self.last_sent[(ip, seq)] = time.monotonic()
        try:
            self.sock.sendto(pkt, (ip, 0))
        except (BlockingIOError, OSError):
            pass  # e.g. neighbour resolution failed: counts as unanswered

    def handle(self, d, now):
        if len(d) < 20:
            return
        ihl = (d[0] & 0x0F) * 4
        if len(d) < ihl + 8 or d[ihl] != 0:
            return
        ident, seq = struct.unpack_from("!HH", d, ihl + 4)
        if ident != self.ident:
            return
        ip = socket.inet_ntoa(d[12:16])
        self.note(ip, (ip, seq), now)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["arp", "ping"])
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--src", help="ARP sender address (required for arp)")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--wait", type=float, default=1000)
    a = ap.parse_args()
    if a.mode == "arp" and not a.src:
        ap.error("arp needs --src")
    prober = ArpProber(a) if a.mode == "arp" else PingProber(a)
    print(json.dumps(prober.run(expand(a.targets))))


if __name__ == "__main__":
    main()
