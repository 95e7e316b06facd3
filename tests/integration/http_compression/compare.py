#!/usr/bin/env python3
"""Send the same requests to lbd and HAProxy 2.6 (same config) and compare
what the client gets: status line, header fields (names lower-cased, order
ignored, Date and Connection left out) and the body after undoing the
chunked framing and the Content-Encoding (gzip, deflate, or HAProxy's
raw-deflate, which says "deflate"): it must equal the backend's own body
(fetched directly). Compressed bytes may differ (zlib flush points); their
sizes are printed. Exit 1 if anything differs.
Usage: compare.py LBD_PORT HAPROXY_PORT BACKEND_PORT"""
import json
import socket
import sys
import zlib

LBD, HAP, SRV = (int(a) for a in sys.argv[1:4])

CASES = [
    # (name, method, path, request fields, HTTP version)
    ("gzip, Content-Length", "GET", "/text?n=5000", {"Accept-Encoding": "gzip"}, "1.1"),
    ("gzip, large body streamed", "GET", "/text?n=300000", {"Accept-Encoding": "gzip"}, "1.1"),
    ("gzip, chunked from the server", "GET", "/chunked?n=40000", {"Accept-Encoding": "gzip, deflate"}, "1.1"),
    ("gzip, slow chunked server", "GET", "/slow?n=3000", {"Accept-Encoding": "gzip"}, "1.1"),
    ("deflate", "GET", "/text", {"Accept-Encoding": "deflate"}, "1.1"),
    ("q-values: deflate preferred", "GET", "/text", {"Accept-Encoding": "gzip;q=0.5, deflate"}, "1.1"),
    ("equal q: the client's order", "GET", "/text", {"Accept-Encoding": "deflate, gzip"}, "1.1"),
    ("q=0 refuses", "GET", "/text", {"Accept-Encoding": "gzip;q=0"}, "1.1"),
    ("* takes the last configured", "GET", "/text", {"Accept-Encoding": "*"}, "1.1"),
    ("unknown coding only", "GET", "/text", {"Accept-Encoding": "br"}, "1.1"),
    ("no Accept-Encoding", "GET", "/text", {}, "1.1"),
    ("type listed (application/json)", "GET", "/json", {"Accept-Encoding": "gzip"}, "1.1"),
    ("type not listed (image/png)", "GET", "/img", {"Accept-Encoding": "gzip"}, "1.1"),
    ("strong ETag made weak", "GET", "/etag", {"Accept-Encoding": "gzip"}, "1.1"),
    ("weak ETag kept", "GET", "/weak", {"Accept-Encoding": "gzip"}, "1.1"),
    ("invalid ETag: not compressed", "GET", "/badetag", {"Accept-Encoding": "gzip"}, "1.1"),
    ("two ETags: not compressed", "GET", "/twoetag", {"Accept-Encoding": "gzip"}, "1.1"),
    ("Cache-Control no-transform", "GET", "/notrans", {"Accept-Encoding": "gzip"}, "1.1"),
    ("already Content-Encoding", "GET", "/encoded", {"Accept-Encoding": "gzip"}, "1.1"),
    ("multipart", "GET", "/multipart", {"Accept-Encoding": "gzip"}, "1.1"),
    ("no Content-Type with a type list", "GET", "/notype", {"Accept-Encoding": "gzip"}, "1.1"),
    ("status 404", "GET", "/404", {"Accept-Encoding": "gzip"}, "1.1"),
    ("status 201", "GET", "/201", {"Accept-Encoding": "gzip"}, "1.1"),
    ("status 204", "GET", "/204", {"Accept-Encoding": "gzip"}, "1.1"),
    ("Vary already there", "GET", "/vary", {"Accept-Encoding": "gzip"}, "1.1"),
    ("no length (close-delimited)", "GET", "/close", {"Accept-Encoding": "gzip"}, "1.1"),
    ("HEAD", "HEAD", "/text", {"Accept-Encoding": "gzip"}, "1.1"),
    ("HTTP/1.0 request", "GET", "/text", {"Accept-Encoding": "gzip"}, "1.0"),
    ("old Mozilla/4 agent", "GET", "/text", {"Accept-Encoding": "gzip", "User-Agent": "Mozilla/4.0 (compatible; X 1.0)"}, "1.1"),
    ("MSIE 7 is fine", "GET", "/text", {"Accept-Encoding": "gzip", "User-Agent": "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)"}, "1.1"),
    ("backend raw-deflate", "GET", "/raw/text", {"Accept-Encoding": "gzip, deflate"}, "1.1"),
    ("backend offload: server sees no Accept-Encoding", "GET", "/off/text", {"Accept-Encoding": "gzip"}, "1.1"),
    ("backend identity: chunked, no Content-Encoding", "GET", "/off/text", {"Accept-Encoding": "br"}, "1.1"),
    ("backend types: text/html not listed there", "GET", "/types/text", {"Accept-Encoding": "gzip"}, "1.1"),
]


def request(port, method, path, hdrs, ver):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw = "%s %s HTTP/%s\r\nHost: shop.example\r\n" % (method, path, ver)
    for k, v in hdrs.items():
        raw += "%s: %s\r\n" % (k, v)
    s.sendall((raw + "Connection: close\r\n\r\n").encode())
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except ConnectionResetError:  # a close after the last byte
        pass
    s.close()
    return data


def dechunk(b):
    out = b""
    while True:
        line, _, b = b.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            return out
        out += b[:n]
        b = b[n + 2:]


def parse(data, method):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = [[l.split(":", 1)[0].strip().lower(), l.split(":", 1)[1].strip()]
            for l in lines[1:] if ":" in l]
    h = dict(hdrs)
    if method != "HEAD" and h.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    wire = len(body)
    ce = h.get("content-encoding")
    if ce == "gzip":
        body = zlib.decompress(body, 31)
    elif ce == "deflate":
        try:
            body = zlib.decompress(body)
        except zlib.error:  # raw-deflate says "deflate" too
            body = zlib.decompress(body, -15)
    shown = sorted(x for x in hdrs if x[0] not in ("date", "connection"))
    return {"status": lines[0], "headers": shown}, body, wire


bad = 0
for name, method, path, hdrs, ver in CASES:
    want = parse(request(SRV, method, path, {}, ver), method)[1]
    (a, ab, aw), (b, bb, bw) = (parse(request(p, method, path, hdrs, ver), method) for p in (LBD, HAP))
    ok = a == b and ab == want and bb == want
    bad += not ok
    print("%s %s: %s body %d bytes, %d on the wire (HAProxy %d)"
          % ("same" if ok else "DIFF", name, json.dumps(a), len(ab), aw, bw))
    if not ok:
        print("   haproxy: %s body %s" % (json.dumps(b), "ok" if bb == want else "WRONG"))
        print("   lbd body %s" % ("ok" if ab == want else "WRONG"))
sys.exit(1 if bad else 0)
