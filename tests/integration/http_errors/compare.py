#!/usr/bin/env python3
"""Send the same raw requests to lbd and HAProxy 2.6 (same config) and
compare what the client gets: the status line, the header fields (names
lower-cased, order ignored; Date and Connection left out) and the body, or
that no answer came at all. One line per case; exit 1 if any differs.
Usage: compare.py LBD_PORT HAPROXY_PORT [errors|after] (the case set;
tests/integration/http_after uses the second)"""
import json
import socket
import sys

LBD, HAP = int(sys.argv[1]), int(sys.argv[2])
SET = sys.argv[3] if len(sys.argv) > 3 else "errors"


def req(path, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: shop.example\r\n%sConnection: close\r\n\r\n"
            % (path, extra)).encode()


ERRORS = [
    # (name, raw request[, "status": compare the status line only; "x": the
    # status line and the x-* fields])
    ("forwarded", req("/ok")),
    ("deny: http-errors 403 (LF lines, Connection field) via errorfiles", req("/deny")),
    ("deny_status 429: http-error lf-string + hdr", req("/rate")),
    ("deny_status 500: http-error string", req("/boom")),
    ("deny_status 404: errorfiles imported only 403 503: built-in", req("/nf"), "status"),
    ("deny_status 408: errorfile /dev/null closes", req("/empty")),
    ("deny_status 502: defaults' errorfile inherited", req("/bad")),
    ("503 no server: frontend's page (backend has none)", req("/dead")),
    ("503 no server: backend's own page wins", req("/own/x")),
    ("deny in backend: frontend's 403 (backend has none)", req("/own/deny")),
    ("deny in backend: backend's http-error 401", req("/own/auth")),
    ("503 no server: http-error errorfiles NAME", req("/imp/x")),
    ("errorloc: 503 becomes a 302", req("/loc/x")),
    ("errorloc303: 403 becomes a 303", req("/loc/deny")),
    ("return default-errorfiles: the proxy's 503 page", req("/ret-default")),
    ("return errorfiles NAME: the section's 404", req("/ret-section")),
    ("return errorfiles NAME without 429 there: empty", req("/ret-fallback")),
    ("return errorfile", req("/ret-file")),
]

AFTER = [
    ("server response: backend's then frontend's rules", req("/ok")),
    ("server response: replace-header, replace-value, del-header",
     req("/ok", "X-Want-X-Rep: v-old\r\nX-Want-Cache-Control: no-cache, public\r\n")),
    ("server response: allow stops the frontend's list", req("/ok", "X-Want-X-Stop: 1\r\n")),
    ("deny: http-error page edited", req("/nf")),
    ("return", req("/ret")),
    ("redirect", req("/redir")),
    ("503 errorfile of a backend with its own rules", req("/dead")),
    ("deny: the built-in 403", req("/deny"), "x"),
    ("invalid request: parsing errors get no rules", b"GET /x HTTP/1.1\r\nHost: a\r\nBad Line\r\n\r\n", "x"),
]

CASES = AFTER if SET == "after" else ERRORS


def fetch(port, raw):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    if not data:
        return {"answer": None}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = sorted([l.split(":", 1)[0].strip().lower(), l.split(":", 1)[1].strip()]
                  for l in lines[1:] if ":" in l
                  and l.split(":", 1)[0].strip().lower() not in ("date", "connection"))
    return {"status": lines[0], "headers": hdrs, "body": body.decode("latin-1")}


bad = 0
for name, raw, *only in CASES:
    a, b = fetch(LBD, raw), fetch(HAP, raw)
    if only:  # the built-in pages' wording is lbd's own
        keep = (lambda h: h[0].startswith("x-")) if only[0] == "x" else (lambda h: False)
        a, b = [[r.get("status"), [h for h in r.get("headers", []) if keep(h)]] for r in (a, b)]
    same = a == b
    bad += not same
    print("%s %s: %s" % ("same" if same else "DIFF", name, json.dumps(a)))
    if not same:
        print("   haproxy: %s" % json.dumps(b))
sys.exit(1 if bad else 0)
