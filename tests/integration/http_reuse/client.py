#!/usr/bin/env python3
"""client.py PORT SCRIPT - drive client connections to PORT and print one
line per response: "CLIENT STATUS X-Conn". SCRIPT is steps separated by
spaces: "A:GET:/p" sends a request on client connection A (opened on first
use, kept alive), "A:POST:/p" the same with a 5-byte body, "A:close" closes
A, "par(A:GET:/slow,B:GET:/slow)" sends on several connections at once and
then reads every answer, "sleep:0.3" waits."""
import socket
import sys
import time

PORT = int(sys.argv[1])
conns = {}


def conn(name):
    if name not in conns:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        conns[name] = (s, s.makefile("rb"))
    return conns[name]


def send(name, method, path):
    s, _ = conn(name)
    body = b"hello" if method == "POST" else b""
    s.sendall(b"%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s"
              % (method.encode(), path.encode(), len(body), body))


def recv(name):
    _, f = conn(name)
    line = f.readline()
    if not line:
        print(name, "EOF", "-")
        del conns[name]
        return
    status = line.split()[1].decode()
    xc, n = "-", 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode().partition(":")
        if k.lower() == "x-conn":
            xc = v.strip()
        if k.lower() == "content-length":
            n = int(v)
    f.read(n)
    print(name, status, xc)


for step in sys.argv[2].split():
    if step.startswith("sleep:"):
        time.sleep(float(step[6:]))
    elif step.startswith("par("):
        parts = [p.split(":") for p in step[4:-1].split(",")]
        for c, m, p in parts:
            send(c, m, p)
        for c, _, _ in parts:
            recv(c)
    elif step.endswith(":close"):
        c = step.split(":")[0]
        if c in conns:
            conns.pop(c)[0].close()
    else:
        c, m, p = step.split(":")
        send(c, m, p)
        recv(c)
sys.stdout.flush()
