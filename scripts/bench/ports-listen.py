#!/usr/bin/env python3
"""Benchmark fixture for scripts/bench/ports.sh, run inside one test-network host namespace:
listens on the given TCP ports (all addresses) and accepts and closes every connection, so neither
scanner fills a backlog. Exits when stdin closes or on SIGTERM."""
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(512)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
sel.register(sys.stdin, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        if key.fileobj is sys.stdin:
            if not sys.stdin.readline():
                sys.exit(0)
            continue
        try:
            conn, _ = key.fileobj.accept()
            conn.close()
        except OSError:
            pass
