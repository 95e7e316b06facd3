#!/usr/bin/env python3
"""Send pieces on one connection to 127.0.0.1:PORT, PAUSE s between them,
print what comes back (status line of each response, or RESET / CLOSED).
usage: client.py PORT PAUSE PIECE... (PIECE: Python bytes escapes)"""
import re
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
pause = float(sys.argv[2])
out = b""
try:
    for i, p in enumerate(sys.argv[3:]):
        if i:
            time.sleep(pause)
        s.sendall(p.encode().decode("unicode_escape").encode("latin-1"))
    s.settimeout(3)
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except socket.timeout:
    pass
except ConnectionError:
    out += b"\nRESET"
lines = [m.decode("latin-1") for m in re.findall(rb"HTTP/1\.[01] \d{3}[^\r\n]*|\nRESET$", out)]
print(" ".join(x.strip() for x in lines) or "NONE")
