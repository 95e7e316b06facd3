#!/usr/bin/env python3
"""connsrv.py LOG PORT... - an HTTP/1.1 origin that counts the TCP
connections it accepts: one line "PORT CONN" per accepted connection in LOG.
Every response carries X-Conn: PORT/CONN/NTH (the connection and the number
of the request on it). Paths: /slow waits 300 ms before answering; /junk
answers, then writes junk bytes on the idle connection 100 ms later; /close
answers, then closes the connection 100 ms later; /ntlm answers 401 with
"WWW-Authenticate: NTLM"; /drop closes the connection without an answer."""
import socket
import sys
import threading
import time

LOG = sys.argv[1]
lock = threading.Lock()
counter = [0]


def read_head(f):
    line = f.readline()
    if not line:
        return None, None
    hdrs = {}
    while True:
        h = f.readline()
        if not h or h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return line.decode("latin-1").split(), hdrs


def serve(conn, port):
    with lock:
        counter[0] += 1
        cid = counter[0]
        with open(LOG, "a") as lf:
            lf.write("%d %d\n" % (port, cid))
    f = conn.makefile("rb")
    nth = 0
    try:
        while True:
            rl, hdrs = read_head(f)
            if not rl:
                return
            n = int(hdrs.get("content-length", "0"))
            if n:
                f.read(n)
            nth += 1
            path = rl[1]
            if path.startswith("/drop"):
                return
            if path.startswith("/slow"):
                time.sleep(0.3)
            body = b"ok %d/%d/%d\n" % (port, cid, nth)
            status = b"200 OK"
            extra = b""
            if path.startswith("/ntlm"):
                status = b"401 Unauthorized"
                extra = b"WWW-Authenticate: NTLM\r\n"
            conn.sendall(b"HTTP/1.1 %s\r\n%sX-Conn: %d/%d/%d\r\nContent-Length: %d\r\n\r\n"
                         % (status, extra, port, cid, nth, len(body)) + body)
            if path.startswith("/junk"):
                time.sleep(0.1)
                conn.sendall(b"HTTP/1.1 200 JUNK\r\nContent-Length: 4\r\n\r\njunk")
            elif path.startswith("/close"):
                time.sleep(0.1)
                return
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, port), daemon=True).start()


for p in sys.argv[2:]:
    threading.Thread(target=listen, args=(int(p),), daemon=True).start()
while True:
    time.sleep(3600)
