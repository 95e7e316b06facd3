#!/usr/bin/env python3
"""Server of the abortonclose test: server.py PORT LOG. Appends each
request line it receives to LOG ("got GET /x HTTP/1.1"); /slow... and
/hold... are answered after 2.5 s (they hold the server's one slot),
anything else at once."""
import socket
import sys
import threading
import time

port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)


def serve(c):
    d = b""
    while b"\r\n\r\n" not in d:
        b = c.recv(4096)
        if not b:
            break
        d += b
    line = d.split(b"\r\n")[0].decode(errors="replace")
    with open(log, "a") as f:
        f.write("got %s\n" % line)
    if "/slow" in line or "/hold" in line:
        time.sleep(2.5)
    try:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    except OSError:
        pass
    c.close()


while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
