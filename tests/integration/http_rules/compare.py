#!/usr/bin/env python3
"""Send the same requests to lbd and HAProxy 2.6 (same config) and compare
what the client sees: status, the headers rules touch, and the body (the
backend echoes what it received). Prints one line per case; exit 1 if any
differs. Usage: compare.py LBD_PORT HAPROXY_PORT"""
import http.client
import json
import sys

LBD, HAP = int(sys.argv[1]), int(sys.argv[2])

CASES = [
    # (name, method, path, headers)
    ("plain", "GET", "/", {"Host": "Shop.Example"}),
    ("bot denied 429", "GET", "/", {"Host": "a", "User-Agent": "GoodBot/1"}),
    ("return lf-string", "GET", "/ping", {"Host": "a"}),
    ("redirect scheme", "GET", "/secure/x?a=1", {"Host": "a.example:8080"}),
    ("redirect prefix drop-query", "GET", "/old/page?x=1", {"Host": "a"}),
    ("redirect location no cookie", "GET", "/account/1", {"Host": "a"}),
    ("no redirect with cookie", "GET", "/account/1", {"Host": "a", "Cookie": "a=1; session=xyz"}),
    ("del/replace headers", "GET", "/h", {"Host": "a", "X-Remove": "1", "X-Drop-A": "1",
                                          "X-Drop-B": "2", "X-Keep": "k", "X-Rep": "v-old",
                                          "X-List": "a, b, c"}),
    ("set-path", "GET", "/rw/a/b?k=v", {"Host": "a"}),
    ("set-query", "GET", "/q/x?old=1", {"Host": "a"}),
    ("set-uri", "GET", "/seturi", {"Host": "a"}),
    ("set-method", "GET", "/asPOST", {"Host": "a"}),
    ("url_param", "GET", "/p?a=1&debug=1", {"Host": "a"}),
    ("hdr_cnt", "GET", "/c", {"Host": "a", "X-Dup": "1"}),
    ("regsub path", "GET", "/a//b///c", {"Host": "a"}),
    ("map lookup", "GET", "/m", {"Host": "WWW.Example.com"}),
    ("map default", "GET", "/m", {"Host": "other.example"}),
    ("deny by host acl", "GET", "/", {"Host": "admin.example"}),
    ("response set-status", "GET", "/", {"Host": "a", "X-Want-X-Flag": "yes"}),
    ("response deny", "GET", "/", {"Host": "a", "X-Want-X-Secret": "1"}),
    ("redirect statement", "GET", "/legacy", {"Host": "a"}),
    ("path_reg", "GET", "/img/logo.PNG", {"Host": "a"}),
    ("set-var / var()", "GET", "/var/x", {"Host": "Mixed.Case"}),
    ("unset-var", "GET", "/unset", {"Host": "Mixed.Case"}),
    ("set-var int()", "GET", "/var/n", {"Host": "a"}),
    ("tarpit", "GET", "/tarpit", {"Host": "a"}),
    ("use_backend %[...] found", "GET", "/d", {"Host": "a", "X-Be": "two"}),
    ("use_backend %[...] missing: default", "GET", "/d", {"Host": "a", "X-Be": "nosuch"}),
]

SHOWN = ["location", "x-resp", "x-srv", "server", "x-method", "content-type", "x-flag",
         "cache-control"]


def fetch(port, method, path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    out = {"status": r.status}
    for k in SHOWN:
        if k in hdrs:
            out[k] = hdrs[k]
    if r.status == 200 or r.status == 299 or hdrs.get("content-type", "").startswith("text/plain"):
        try:
            j = json.loads(body)
            out["line"] = j["line"]
            out["headers"] = [h for h in j["headers"]]
        except ValueError:
            out["body"] = body.decode(errors="replace")
    return out


bad = 0
for name, method, path, headers in CASES:
    try:
        a = fetch(LBD, method, path, headers)
    except Exception as e:  # noqa: BLE001 - a failure is a difference
        a = {"error": str(e)}
    b = fetch(HAP, method, path, headers)
    if a == b:
        print(f"same - {name}: {json.dumps(b)}")
    else:
        bad += 1
        print(f"DIFF - {name}:\n   lbd     {json.dumps(a)}\n   haproxy {json.dumps(b)}")
print(f"{len(CASES) - bad} of {len(CASES)} cases the same")
sys.exit(1 if bad else 0)
