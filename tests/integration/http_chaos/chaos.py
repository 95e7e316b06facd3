#!/usr/bin/env python3
"""Random clients against lbd (fixed seed, so a failure can be replayed):
valid requests pipelined and split at random points, bodies with
Content-Length and chunked, HEAD, Expect, WebSocket upgrades, garbage,
truncated requests, clients that leave in the middle of a response. Checks
that every complete valid request sent on a connection that stayed open
got a response. Prints "ok <connections> <responses>" or the failure.
usage: chaos.py PORT CONNECTIONS SEED"""
import random
import socket
import sys
import time

PORT, N, SEED = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(SEED)


def req(kind):
    if kind == "get":
        return b"GET /c/%d HTTP/1.1\r\nHost: x\r\n\r\n" % rnd.randrange(1000), 1
    if kind == "head":
        return b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n", 1
    if kind == "post":
        body = rnd.randbytes(rnd.randrange(0, 40000))
        return b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body, 1
    if kind == "chunked":
        out = b"PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in range(rnd.randrange(0, 5)):
            c = rnd.randbytes(rnd.randrange(1, 9000))
            out += b"%x\r\n" % len(c) + c + b"\r\n"
        return out + b"0\r\n\r\n", 1
    if kind == "chunked_resp":
        return b"GET /chunked?size=%d HTTP/1.1\r\nHost: x\r\n\r\n" % rnd.randrange(0, 50000), 1
    raise ValueError(kind)


def send_split(s, data):
    i = 0
    while i < len(data):
        n = rnd.choice([1, 7, 100, 5000, len(data)])
        s.sendall(data[i:i + n])
        i += n
        if rnd.random() < 0.1:
            time.sleep(0.001)


def count_responses(s, want, timeout=5):
    s.settimeout(timeout)
    buf = b""
    try:
        while buf.count(b"HTTP/1.1 ") - buf.count(b"HTTP/1.1 100 ") < want:
            d = s.recv(1 << 16)
            if not d:
                break
            buf += d
    except socket.timeout:
        pass
    return buf.count(b"HTTP/1.1 ") - buf.count(b"HTTP/1.1 100 ")


def valid_conn():
    s = socket.create_connection(("127.0.0.1", PORT))
    data, n = b"", 0
    for _ in range(rnd.randrange(1, 6)):
        d, k = req(rnd.choice(["get", "get", "head", "post", "chunked", "chunked_resp"]))
        data += d
        n += k
    send_split(s, data)
    got = count_responses(s, n)
    s.close()
    return got, n


def bad_conn():
    s = socket.create_connection(("127.0.0.1", PORT))
    kind = rnd.randrange(5)
    try:
        if kind == 0:
            s.sendall(rnd.randbytes(rnd.randrange(1, 3000)))
        elif kind == 1:
            d, _ = req("post")
            s.sendall(d[:rnd.randrange(1, len(d))])
        elif kind == 2:
            s.sendall(b"GET /chunked?size=200000 HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(100)
        elif kind == 3:
            s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" + rnd.randbytes(50))
            s.settimeout(0.2)
            s.recv(1000)
        else:
            d, _ = req("get")
            s.sendall(d + b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
            s.settimeout(0.5)
            s.recv(10000)
    except (socket.timeout, ConnectionError):
        pass
    if rnd.random() < 0.5:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


total = 0
for i in range(N):
    if rnd.random() < 0.7:
        got, want = valid_conn()
        if got != want:
            sys.exit("connection %d: %d of %d responses" % (i, got, want))
        total += got
    else:
        bad_conn()
print("ok", N, total)
