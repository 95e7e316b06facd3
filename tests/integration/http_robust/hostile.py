#!/usr/bin/env python3
"""Hostile HTTP/1.1 origin for lbd's robustness tests.
usage: hostile.py PORT MODE LOGFILE
MODE junk: read a request head (and, when it announces a body, the first
  body bytes), answer bytes no response parser accepts, close.
MODE good: a plain keep-alive origin answering 200 "good"; every request
  line it parses is appended to LOGFILE, so a request smuggled inside a
  body shows up there.
MODE badchunk: answers a chunked head and invalid chunk framing in one
  write, then closes.
MODE extra: answers 200 followed by a "299 Extra" response nobody asked
  for, in the same write, and keeps the connection open.
MODE late: the same, the extra response 50 ms after the 200."""
import socket
import sys
import threading
import time

PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ngood\n"


def log(line):
    with open(LOG, "ab") as f:
        f.write(line + b"\n")


def read_more(c, buf):
    d = c.recv(65536)
    if not d:
        raise EOFError
    return buf + d


def read_head(c, buf):
    while b"\r\n\r\n" not in buf:
        buf = read_more(c, buf)
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def read_body(c, head, buf):
    h = head.lower()
    if b"transfer-encoding: chunked" in h:
        # last chunk "0" CRLF, trailers, empty line (bodies here are small)
        while True:
            z = buf.find(b"0\r\n")
            e = buf.find(b"\r\n\r\n", z + 1) if z >= 0 else -1
            if e >= 0:
                return buf[e + 4:]
            buf = read_more(c, buf)
    for ln in h.split(b"\r\n"):
        if ln.startswith(b"content-length:"):
            n = int(ln.split(b":")[1])
            while len(buf) < n:
                buf = read_more(c, buf)
            return buf[n:]
    return buf


def junk(c):
    head, rest = read_head(c, b"")
    log(head.split(b"\r\n")[0])
    if b"transfer-encoding" in head.lower() and not rest:
        rest = read_more(c, rest)
    c.sendall(b"\x01\x02 this is not HTTP\r\n\r\n")


EXTRA = b"HTTP/1.1 299 Extra\r\nContent-Length: 6\r\n\r\nextra\n"


def good(c, mode):
    buf = b""
    while True:
        head, buf = read_head(c, buf)
        log(head.split(b"\r\n")[0])
        buf = read_body(c, head, buf)
        c.sendall(OK + (EXTRA if mode == "extra" else b""))
        if mode == "late":
            time.sleep(0.05)
            c.sendall(EXTRA)


def serve(c):
    try:
        if MODE == "junk":
            junk(c)
        elif MODE == "badchunk":
            read_head(c, b"")
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        else:
            good(c, MODE)
    except (EOFError, ConnectionError):
        pass
    finally:
        c.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", PORT))
ls.listen(64)
while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
