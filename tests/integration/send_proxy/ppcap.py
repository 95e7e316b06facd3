#!/usr/bin/env python3
"""Server side of the send_proxy test: records every byte each connection
brings, one file per connection (OUTDIR/conn-N), and answers each HTTP
request head with a small 200 (keep-alive), or the tcp cases' "hello\n"
with "ok\n" once. Usage: ppcap.py PORT OUTDIR [HOST]."""
import os
import socket
import sys
import threading

port, outdir = int(sys.argv[1]), sys.argv[2]
host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
lock = threading.Lock()
count = [0]


SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def after_header(d):
    """The bytes after a PROXY v2 header: its signature holds a CRLF CRLF,
    which must not be counted as the end of a request head."""
    if d.startswith(SIG) and len(d) >= 16:
        return d[16 + int.from_bytes(d[14:16], "big"):]
    return d


def serve(c):
    with lock:
        count[0] += 1
        path = os.path.join(outdir, "conn-%d" % count[0])
    data = b""
    answered = 0
    c.settimeout(10)
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
            with open(path, "wb") as f:
                f.write(data)
            if b"HTTP/1." in data:
                heads = after_header(data).count(b"\r\n\r\n")
                while answered < heads:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                    answered += 1
            elif not answered and b"hello\n" in data:
                # the tcp cases' client line: the PROXY header may come
                # in a segment of its own, before it
                c.sendall(b"ok\n")
                answered = 1
    except OSError:
        pass
    c.close()


fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
