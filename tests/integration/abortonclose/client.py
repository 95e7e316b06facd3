#!/usr/bin/env python3
"""client.py PORT PATH MODE: one GET, then after 0.3 s MODE "shut" (FIN,
still reading), "close" (gone) or "none"; prints the status line it got,
or "closed" / "nothing"."""
import socket
import sys
import time

port, path, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
time.sleep(0.3)
if mode == "close":
    s.close()
    print("closed")
    sys.exit(0)
if mode == "shut":
    s.shutdown(socket.SHUT_WR)
s.settimeout(4)
d = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        d += b
except OSError:
    pass
print(d.split(b"\r\n")[0].decode() if d else "nothing")
