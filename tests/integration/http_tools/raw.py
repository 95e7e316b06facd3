#!/usr/bin/env python3
"""Send stdin as is on one TCP connection to 127.0.0.1:PORT and print what
comes back until the server closes (at most WAIT seconds of silence).
usage: raw.py PORT [WAIT]"""
import socket
import sys

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(float(sys.argv[2]) if len(sys.argv) > 2 else 3)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except (socket.timeout, ConnectionError):
    pass
sys.stdout.buffer.write(out)
