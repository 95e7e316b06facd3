#!/usr/bin/env python3
"""WebSocket echo through lbd: upgrade, send masked text frames, check each
echo, close. Prints "ok N" or the failure. usage: ws_client.py PORT"""
import base64
import os
import socket
import sys

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
head = b""
while b"\r\n\r\n" not in head:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before 101")
    head += d
if not head.startswith(b"HTTP/1.1 101"):
    sys.exit("no 101: %r" % head[:40])
rest = head.split(b"\r\n\r\n", 1)[1]


def frame(payload):
    mask = os.urandom(4)
    n = len(payload)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def recv_exact(n):
    global rest
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            sys.exit("closed in frame")
        rest += d
    out, rest = rest[:n], rest[n:]
    return out


count = 0
for msg in [b"hello", b"x" * 1000, os.urandom(30000).hex().encode()[:60000]]:
    s.sendall(frame(msg))
    b0, b1 = recv_exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(recv_exact(2), "big")
    if recv_exact(n) != msg:
        sys.exit("echo mismatch")
    count += 1
s.sendall(bytes([0x88, 0x80]) + os.urandom(4))
print("ok", count)
