#!/usr/bin/env python3
"""A small mDNS responder (RFC 6762) for one host: announces its records twice at start (as
responders do), then answers every query it hears with them until --duration ends. Records: an A
record for NAME.local, one PTR/SRV per service type, and a _device-info TXT with the model.
Usage: mdns-responder.py --ip IP --name NAME --service _ipp._tcp [--service ...] [--model M] [--duration S]"""
import argparse
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("--ip", required=True)
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
records = [rr(host, 1, socket.inet_aton(a.ip))]
for svc in a.service:
    inst = f"{a.name}.{svc}.local"
    records.append(rr(f"{svc}.local", 12, name(inst)))
    records.append(rr(inst, 33, struct.pack("!HHH", 0, 0, 631) + name(host)))
if a.model:
    txt = f"model={a.model}".encode()
    records.append(rr(f"{a.name}._device-info._tcp.local", 16, bytes([len(txt)]) + txt))
msg = struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.ip))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.251") + socket.inet_aton(a.ip))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
group = ("224.0.0.251", 5353)
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
    if len(data) >= 12 and not (data[2] & 0x80) and src[0] != a.ip:
        s.sendto(msg, group)
