#!/usr/bin/env python3
"""A small mDNS responder (RFC 6762) for one host: announces its records twice at start (as
responders do), then answers every query it hears with them until --duration ends. Records: an A
record for NAME.local, one PTR/SRV per service type, and a _device-info TXT with the model.
With --ip6 ADDR it speaks over IPv6 instead (to ff02::fb on --iface, from the kernel's choice of
source address, which for a link-scope group is the link-local one) with an AAAA record for ADDR.
Usage: mdns-responder.py (--ip IP | --ip6 ADDR [--iface eth0]) --name NAME --service _ipp._tcp [--service ...] [--model M] [--duration S]"""
import argparse
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("--ip")
ap.add_argument("--ip6")
ap.add_argument("--iface", default="eth0")
ap.add_argument("--name", required=True)
ap.add_argument("--service", action="append", default=[])
ap.add_argument("--model")
ap.add_argument("--duration", type=float, default=10.0)
a = ap.parse_args()


def name(n):
    out = b""
    for label in n.strip(".").split("."):
        b = label.encode()
        out += bytes([len(b)]) + b
    return out + b"\0"


def rr(owner, rtype, rdata, ttl=120):
    return name(owner) + struct.pack("!HHIH", rtype, 0x8001, ttl, len(rdata)) + rdata


host = f"{a.name}.local"
if a.ip6:
    records = [rr(host, 28, socket.inet_pton(socket.AF_INET6, a.ip6))]
else:
    records = [rr(host, 1, socket.inet_aton(a.ip))]
for svc in a.service:
    inst = f"{a.name}.{svc}.local"
    records.append(rr(f"{svc}.local", 12, name(inst)))
    records.append(rr(inst, 33, struct.pack("!HHH", 0, 0, 631) + name(host)))
if a.model:
    txt = f"model={a.model}".encode()
    records.append(rr(f"{a.name}._device-info._tcp.local", 16, bytes([len(txt)]) + txt))
msg = struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)

if a.ip6:
    ifindex = socket.if_nametoindex(a.iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::", 5353))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff02::fb") + struct.pack("@I", ifindex))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    group = ("ff02::fb", 5353, 0, ifindex)
    own = a.ip6
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.ip))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.251") + socket.inet_aton(a.ip))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    group = ("224.0.0.251", 5353)
    own = a.ip
for _ in range(2):
    s.sendto(msg, group)
    time.sleep(1.0)
end = time.monotonic() + a.duration
s.settimeout(0.5)
while time.monotonic() < end:
    try:
        data, src = s.recvfrom(9000)
    except socket.timeout:
        continue
    if len(data) >= 12 and not (data[2] & 0x80) and src[0].split("%")[0] != own:
        s.sendto(msg, group)
