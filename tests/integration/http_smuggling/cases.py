#!/usr/bin/env python3
"""Request-smuggling and malformed-request cases, each sent raw on its own
connection to lbd. Every case hides a request to /SMUGGLED where a parser
that disagreed with lbd would find one. Prints one line per case:
"<name> <status lbd answered>" (000 when it answered nothing).
usage: cases.py PORT"""
import socket
import sys

PORT = int(sys.argv[1])
SM = b"GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"
H = b"POST / HTTP/1.1\r\nHost: x\r\n"
CASES = [
    ("cl_te", H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SM, 400),
    ("te_cl", H + b"Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n" + SM, 400),
    ("cl_cl_differ", H + b"Content-Length: 0\r\nContent-Length: 36\r\n\r\n" + SM, 400),
    ("cl_cl_same", H + b"Content-Length: 36\r\nContent-Length: 36\r\n\r\n" + SM, 400),
    ("cl_list", H + b"Content-Length: 0, 36\r\n\r\n" + SM, 400),
    ("cl_plus", H + b"Content-Length: +36\r\n\r\n" + SM, 400),
    ("te_not_last", H + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SM, 400),
    ("te_gzip_only", H + b"Transfer-Encoding: gzip\r\n\r\n" + SM, 400),
    ("te_two_fields", H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n" + SM, 400),
    ("te_unknown", H + b"Transfer-Encoding: xchunked\r\n\r\n" + SM, 501),
    ("te_http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 36\r\n\r\n0\r\n\r\n" + SM, 400),
    ("obs_fold", H + b"Transfer-Encoding:\r\n chunked\r\nContent-Length: 36\r\n\r\n" + SM, 400),
    ("ws_before_colon", H + b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + SM, 400),
    ("vtab_in_te", H + b"Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n" + SM, 400),
    ("nul_in_field", H + b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n" + SM, 400),
    ("ctl_in_field", H + b"X-A: a\x01b\r\nContent-Length: 0\r\n\r\n" + SM, 400),
    ("bare_cr", b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n" + SM, 400),
    ("chunk_size_hex_prefix", H + b"Transfer-Encoding: chunked\r\n\r\n0x24\r\n" + SM + b"\r\n0\r\n\r\n", 400),
    ("chunk_size_overflow", H + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff1\r\n" + SM + b"\r\n0\r\n\r\n", 400),
    ("chunk_size_negative", H + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n" + SM + b"\r\n0\r\n\r\n", 400),
    ("chunk_bare_lf", H + b"Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n" + SM, 400),
    ("chunk_no_crlf_after_data", H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n" + SM, 400),
    ("two_hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SM, 400),
    # HTTP/1.1 without Host is served, as HAProxy 2.6 serves it (no smuggling:
    # a request after it would be an ordinary pipelined one)
    ("no_host", b"GET / HTTP/1.1\r\nX: a\r\nConnection: close\r\n\r\n", 200),
    ("space_in_uri", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n" + SM, 400),
    ("bad_version", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n" + SM, 505),
    ("long_request_line", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("huge_header", b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431),
    ("many_headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n", 431),
]


def send(data):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        s.sendall(data)
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionError):
        pass
    s.close()
    return out[9:12].decode() if out.startswith(b"HTTP/1.1 ") else "000"


for name, data, want in CASES:
    print(name, send(data), want)
