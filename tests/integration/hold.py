#!/usr/bin/env python3
"""hold.py PORT N SECS: open N TCP connections to 127.0.0.1:PORT (without
waiting for each to be accepted), keep them SECS seconds, close them.
Prints nothing; exits 0."""
import socket
import sys
import time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    socks.append(s)
time.sleep(secs)
for s in socks:
    s.close()
