#!/usr/bin/env python3
"""A small HTTP/1.1 origin server for lbd's integration tests.

It speaks HTTP/1.1 itself (keep-alive, Content-Length and chunked request
bodies, Expect: 100-continue, a WebSocket echo after Upgrade) so the tests
can see exactly what lbd sends on: every request line it receives is
appended to REQLOG, and /stats reports how many connections and requests it
has seen.

usage: backend.py PORT NAME REQLOG
routes:
  GET  /stats            {"conns": N, "reqs": M}
  GET  /headers          the request's header names and X-Forwarded-For
  POST|PUT /upload       "<sha1> <length> <chunked:0|1>" of the body
  GET  /chunked?size=N   N bytes of a known pattern, chunked
  GET  /ws (Upgrade)     101, then WebSocket frames echoed back
  GET  /sleep?ms=N       answers after N ms
  GET  /junk             answers with something that is not HTTP
  GET  /close-early      closes without answering
  *                      "NAME METHOD PATH"
"""
import asyncio
import base64
import hashlib
import json
import sys

PORT, NAME, REQLOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
STATS = {"conns": 0, "reqs": 0}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def pattern(n):
    block = bytes(range(256)) * 32
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


async def read_head(r):
    head = await r.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, version = lines[0].split(" ")
    hdrs = []
    for l in lines[1:]:
        if l:
            k, v = l.split(":", 1)
            hdrs.append((k.strip(), v.strip()))
    return method, path, version, hdrs


def hget(hdrs, name):
    for k, v in hdrs:
        if k.lower() == name:
            return v
    return None


async def read_chunked(r, sha):
    n = 0
    while True:
        line = await r.readuntil(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            while (await r.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return n
        left = size
        while left:
            d = await r.read(min(left, 1 << 16))
            if not d:
                raise EOFError
            sha.update(d)
            left -= len(d)
        n += size
        await r.readexactly(2)


async def read_cl(r, cl, sha):
    left = cl
    while left:
        d = await r.read(min(left, 1 << 16))
        if not d:
            raise EOFError
        sha.update(d)
        left -= len(d)
    return cl


def respond(w, status, body, extra=(), close=False):
    h = "HTTP/1.1 %s\r\nContent-Length: %d\r\nX-Backend: %s\r\n" % (status, len(body), NAME)
    for k, v in extra:
        h += "%s: %s\r\n" % (k, v)
    if close:
        h += "Connection: close\r\n"
    w.write(h.encode() + b"\r\n" + body)


async def ws_echo(r, w):
    while True:
        b0, b1 = await r.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(await r.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await r.readexactly(8), "big")
        mask = await r.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
        data = bytearray(await r.readexactly(n))
        for i in range(n):
            data[i] ^= mask[i % 4]
        if b0 & 0x0F == 8:  # close
            w.write(bytes([0x88, 0]))
            await w.drain()
            return
        hdr = bytes([b0]) + (bytes([n]) if n < 126 else bytes([126]) + n.to_bytes(2, "big"))
        w.write(hdr + bytes(data))
        await w.drain()


async def chunked_reply(w, size):
    w.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Backend: %s\r\n\r\n"
             % NAME).encode())
    data = pattern(size)
    for i in range(0, size, 8191):
        part = data[i:i + 8191]
        w.write(b"%x\r\n" % len(part) + part + b"\r\n")
        await w.drain()
    w.write(b"0\r\nX-Trailer: done\r\n\r\n")


async def one_request(r, w):
    method, path, version, hdrs = await read_head(r)
    STATS["reqs"] += 1
    with open(REQLOG, "a") as f:
        f.write("%s %s %s %s\n" % (NAME, method, path, version))
    if (hget(hdrs, "expect") or "").lower() == "100-continue":
        w.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    sha = hashlib.sha1()
    te = (hget(hdrs, "transfer-encoding") or "").lower()
    if te.endswith("chunked"):
        n = await read_chunked(r, sha)
    else:
        n = await read_cl(r, int(hget(hdrs, "content-length") or 0), sha)
    close = (hget(hdrs, "connection") or "").lower() == "close" or version == "HTTP/1.0"
    if path == "/stats":
        respond(w, "200 OK", json.dumps(STATS).encode(), close=close)
    elif path == "/headers":
        body = json.dumps({"names": [k.lower() for k, _ in hdrs],
                           "xff": hget(hdrs, "x-forwarded-for"),
                           "cookie": hget(hdrs, "cookie")}).encode()
        respond(w, "200 OK", body, close=close)
    elif path == "/upload":
        respond(w, "200 OK", ("%s %d %d\n" % (sha.hexdigest(), n, te.endswith("chunked"))).encode(),
                close=close)
    elif "/sleep" in path:
        await asyncio.sleep(int(path.split("ms=")[1]) / 1000)
        respond(w, "200 OK", b"slept\n", close=close)
    elif path == "/junk":
        w.write(b"SSH-2.0-not-http\r\n\r\n")
        await w.drain()
        return False
    elif path == "/close-early":
        return False
    elif path.startswith("/chunked"):
        await chunked_reply(w, int(path.split("size=")[1]))
    elif path == "/ws" and (hget(hdrs, "upgrade") or "").lower() == "websocket":
        key = hget(hdrs, "sec-websocket-key") or ""
        acc = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        w.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
        await w.drain()
        await ws_echo(r, w)
        return False
    else:
        respond(w, "200 OK", ("%s %s %s\n" % (NAME, method, path)).encode(), close=close)
    await w.drain()
    return not close


async def conn(r, w):
    STATS["conns"] += 1
    try:
        while await one_request(r, w):
            pass
    except (asyncio.IncompleteReadError, ConnectionError, EOFError, ValueError):
        pass
    finally:
        w.close()


async def main():
    srv = await asyncio.start_server(conn, "127.0.0.1", PORT, limit=1 << 20)
    async with srv:
        await srv.serve_forever()


asyncio.run(main())
