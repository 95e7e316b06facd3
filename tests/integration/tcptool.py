#!/usr/bin/env python3
"""tcptool.py - TCP backends and clients for lbd's integration tests.

Servers (run until killed):
  server PORT          per connection: reads until EOF, then answers
                       "<bytes> <sha256>\n" of what it read, then closes.
                       A first line "SEND <n> <seed>" instead makes it send n
                       deterministic bytes (while still reading), then close.
Clients (exit 0 on success, print a one-line result):
  upload HOST PORT N        send N bytes, half-close, expect the digest back
  download HOST PORT N      ask for N bytes, check them against the digest
  concurrent HOST PORT C    C connections open at once, each uploads and
                            checks; all must succeed
  hold HOST PORT SECS       open a connection, keep it 'SECS' sending a
                            little each 100 ms, then verify the digest
"""
import asyncio
import hashlib
import os
import random
import socket
import sys
import time


def pattern(n, seed):
    rnd = random.Random(seed)
    out = bytearray()
    while len(out) < n:
        out += rnd.getrandbits(8 * 4096).to_bytes(4096, "little")
    return bytes(out[:n])


async def handle(reader, writer):
    h = hashlib.sha256()
    total = 0
    try:
        first = await reader.readline()
        if first.startswith(b"SEND "):
            _, n, seed = first.split()
            data = pattern(int(n), int(seed))
            for i in range(0, len(data), 65536):
                writer.write(data[i:i + 65536])
                await writer.drain()
            writer.close()
            return
        h.update(first)
        total += len(first)
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            h.update(chunk)
            total += len(chunk)
        writer.write(f"{total} {h.hexdigest()}\n".encode())
        await writer.drain()
        writer.close()
    except (ConnectionError, OSError):
        pass


async def serve(port):
    srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with srv:
        await srv.serve_forever()


async def upload(host, port, n, seed=1, pace=0.0):
    reader, writer = await asyncio.open_connection(host, port)
    data = pattern(n, seed)
    step = 65536 if not pace else max(1, n // 20)
    for i in range(0, n, step):
        writer.write(data[i:i + step])
        await writer.drain()
        if pace:
            await asyncio.sleep(pace)
    writer.write_eof()  # half-close: the answer must still come back
    line = await asyncio.wait_for(reader.readline(), 60)
    writer.close()
    want = f"{n} {hashlib.sha256(data).hexdigest()}\n".encode()
    return line == want, line


async def download(host, port, n, seed=7):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"SEND {n} {seed}\n".encode())
    await writer.drain()
    got = bytearray()
    while True:
        chunk = await asyncio.wait_for(reader.read(1 << 20), 60)
        if not chunk:
            break
        got += chunk
    writer.close()
    return hashlib.sha256(got).digest() == hashlib.sha256(pattern(n, seed)).digest(), len(got)


async def concurrent(host, port, c):
    # open all first, then send: they are really concurrent
    conns = await asyncio.gather(*[asyncio.open_connection(host, port) for _ in range(c)])
    async def one(i, rw):
        reader, writer = rw
        msg = f"connection {i} ".encode() * (i % 50 + 1)
        writer.write(msg)
        await writer.drain()
        writer.write_eof()
        line = await asyncio.wait_for(reader.readline(), 60)
        writer.close()
        return line == f"{len(msg)} {hashlib.sha256(msg).hexdigest()}\n".encode()
    res = await asyncio.gather(*[one(i, rw) for i, rw in enumerate(conns)], return_exceptions=True)
    return sum(1 for r in res if r is True)


def main():
    cmd = sys.argv[1]
    if cmd == "server":
        asyncio.run(serve(int(sys.argv[2])))
        return 0
    host, port = sys.argv[2], int(sys.argv[3])
    if cmd == "upload":
        ok, line = asyncio.run(upload(host, port, int(sys.argv[4])))
        print("upload", "ok" if ok else "BAD", line.decode(errors="replace").strip())
        return 0 if ok else 1
    if cmd == "download":
        ok, n = asyncio.run(download(host, port, int(sys.argv[4])))
        print("download", "ok" if ok else "BAD", n)
        return 0 if ok else 1
    if cmd == "concurrent":
        c = int(sys.argv[4])
        good = asyncio.run(concurrent(host, port, c))
        print("concurrent", good, "of", c)
        return 0 if good == c else 1
    if cmd == "hold":
        secs = float(sys.argv[4])
        ok, line = asyncio.run(upload(host, port, 20000, seed=3, pace=secs / 20))
        print("hold", "ok" if ok else "BAD", line.decode(errors="replace").strip())
        return 0 if ok else 1
    print("unknown command", cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
