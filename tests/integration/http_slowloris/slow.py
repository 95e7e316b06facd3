#!/usr/bin/env python3
"""Slowloris: N connections that send a request head one field every
INTERVAL seconds and never finish it, for DURATION seconds. Prints how
many got a 408 answer and how many were still open at the end.
usage: slow.py PORT N INTERVAL DURATION"""
import socket
import sys
import time

port, n, interval, duration = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
    s.setblocking(False)
    socks.append(s)
got408, closed = 0, set()
end = time.time() + duration
k = 0
while time.time() < end and len(closed) < n:
    time.sleep(interval)
    k += 1
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            data = s.recv(4096)
            if data.startswith(b"HTTP/1.1 408"):
                got408 += 1
            closed.add(i)
            continue
        except BlockingIOError:
            pass
        except ConnectionError:
            closed.add(i)
            continue
        try:
            s.sendall(b"X-Slow-%d: %d\r\n" % (k, k))
        except (BlockingIOError, ConnectionError):
            closed.add(i)
print(got408, n - len(closed))
