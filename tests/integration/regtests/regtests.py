#!/usr/bin/env python3
"""HAProxy 2.6's own regression tests (reg-tests/*.vtc in HAProxy's
repository) on the features lbd's docs claim, restated: each case below is
named after one reg-test and holds what that test does in our own words (a
config of our own, the requests it sends, the answers it expects). Each case
runs on HAProxy 2.6 (Debian's) and on lbd, one after the other, in front of
the same origin servers; then:

  - HAProxy's answers must match the case's "want" fields (the case really
    restates the reg-test: a case HAProxy fails is a broken case);
  - lbd's answers are compared with HAProxy's on the fields the case names,
    the origin's view of each request and, for the logging cases, the log
    lines (normalised: dates, ports, timers, pids);
  - the outcome of every case (same / differs / refused) must be the one
    listed in EXPECT below. The lists are compared exactly: a case that
    regresses fails the test, and so does a known difference that was fixed
    until it is moved to SAME.

Usage: regtests.py LBD TMPDIR [CASE-SUBSTRING...]"""
import json
import os
import re
import sys
import time

from harness import Daemon, Origin, Syslog, fill, first_error, free_port, send, wait_logs

LBD, T = sys.argv[1], sys.argv[2]
ONLY = sys.argv[3:]

# ---------------------------------------------------------------- fixtures
# error pages, files for "return file", maps: written for this test


def write(name, text):
    p = os.path.join(T, name)
    with open(p, "w", newline="") as f:
        f.write(text)
    return p


def page(code, reason, tag, body="page\n"):
    return ("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nX-Page: %s\r\n"
            "Content-Length: %d\r\n\r\n%s" % (code, reason, tag, len(body), body))


for code, reason in ((400, "Bad Request"), (403, "Forbidden"), (404, "Not Found"),
                     (500, "Internal Server Error")):
    write("e%d.http" % code, page(code, reason, "base"))
    write("e%d-one.http" % code, page(code, reason, "one"))
    write("e%d-two.http" % code, page(code, reason, "two"))
    write("e%d-three.http" % code, page(code, reason, "three"))
write("page.txt", "0123456789abcdef" * 40)
write("lf.txt", "you reached %[path]\n")
write("lf403.txt", "no entry to \"%[path]\"\n")
write("redirect.map", "# host or path -> where\nshop.example https://www.shop.example\n"
      "sub.shop.example https://www.sub.shop.example\n/old/place /new/place\n")
write("be.map", "a.example.com be_a\nx.example.invalid be_a\nb.example.com be_b\n")
write("regm.map", "^(.*)\\.(.*)$ \\1_AND_\\2\n")

DEFAULTS = """defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
"""


def R(url="/", hdrs=(), method="GET", want=None, **kw):
    """One request and the fields of the answer it must get from HAProxy."""
    r = {"url": url, "hdrs": list(hdrs), "method": method, "want": want or {}}
    r.update(kw)
    return r


def O(name, status=200, hdrs=(), body="", **kw):
    return (name, (status, list(hdrs), body.encode()), kw)


CASES = []


def case(name, cfg, conns, origins=(), show=(), log=None, ports=("fe",), want_log=()):
    CASES.append({"name": name, "cfg": cfg, "conns": conns, "origins": list(origins),
                  "show": list(show), "log": log, "ports": list(ports),
                  "want_log": list(want_log)})


# ------------------------------------------------------------------ cases
# http-rules/http_return.vtc: "http-request return" with no options (200,
# empty), with a header, another status, string, lf-string, an empty file,
# a file and an lf-file; Content-Length and Content-Type as the reg-test
# checks them.
case("http-rules/http_return", DEFAULTS + """
frontend ret
    bind 127.0.0.1:@fe@
    http-request return if { path /plain }
    http-request return hdr x-asked "%[url]" if { path /with-hdr }
    http-request return status 404 if { path /nf }
    http-request return content-type text/plain string "hi there" hdr x-asked "%[url]" if { path /str }
    http-request return content-type text/plain lf-string "asked for %[url]" hdr x-asked "%[url]" if { path /lf }
    http-request return file /dev/null hdr x-asked "%[url]" if { path /nul }
    http-request return content-type text/plain file @dir@/page.txt hdr x-asked "%[url]" if { path /file }
    http-request return content-type text/plain lf-file @dir@/lf.txt hdr x-asked "%[url]" if { path /lff }
""", [("fe", [
    R("/plain", want={"status": 200, "h:content-length": "0", "h:content-type": None, "h:x-asked": None}),
    R("/with-hdr", want={"status": 200, "h:content-length": "0", "h:x-asked": "/with-hdr"}),
    R("/nf", want={"status": 404, "h:content-length": "0", "h:content-type": None}),
    R("/str", want={"status": 200, "h:content-length": "8", "h:content-type": "text/plain",
                    "body": "hi there"}),
    R("/lf", want={"status": 200, "h:content-type": "text/plain", "body": "asked for /lf",
                   "h:content-length": "13"}),
    R("/nul", want={"status": 200, "h:content-length": "0", "h:x-asked": "/nul"}),
    R("/file", want={"status": 200, "h:content-length": "640", "h:x-asked": "/file"}),
    R("/lff", want={"status": 200, "body": "you reached /lff\n", "h:x-asked": "/lff"}),
])])

# http-rules/del_header.vtc: del-header by exact name, -m str, -m beg, -m
# end, -m sub and -m reg, on the request (the origin's view) and on the
# response (the client's view).
_DEL = ["x-keep", "x-one", "x-two", "x-pre1", "x-pre2", "x-tail1", "x-tail2", "x-mid1",
        "x-mid2", "x-rxa", "x-rxb"]
case("http-rules/del_header", DEFAULTS + """
frontend dels
    bind 127.0.0.1:@fe@
    http-request del-header x-one
    http-request del-header x-two -m str
    http-request del-header x-pre -m beg
    http-request del-header tail1 -m end
    http-request del-header mid -m sub
    http-request del-header ^x.rx.$ -m reg
    http-response del-header x-one
    http-response del-header x-two -m str
    http-response del-header x-pre -m beg
    http-response del-header tail1 -m end
    http-response del-header mid -m sub
    http-response del-header ^x.rx.$ -m reg
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/", hdrs=[(h, h[2:]) for h in _DEL],
                want=dict([("status", 200), ("s:x-keep", "keep"), ("s:x-tail2", "tail2"),
                           ("h:x-keep", "keep"), ("h:x-tail2", "tail2")]
                          + [("s:" + h, None) for h in _DEL if h not in ("x-keep", "x-tail2")]
                          + [("h:" + h, None) for h in _DEL if h not in ("x-keep", "x-tail2")]))])],
    origins=[O("s1", hdrs=[(h, h[2:]) for h in _DEL])])

# http-rules/http_after_response.vtc: http-after-response rules of the
# frontend and of the backend on a server's answer, on "return" and on the
# stats page; "allow" stops them for lbd's own 403, 302 and 401; a
# response denied by http-response gets the frontend's rules only. The
# header values are compared as they are (the reg-test hashes them).
_AFTER = """
    http-after-response set-var(res.st) status
    http-after-response set-header s1 "s1: "
    http-after-response set-status 200
    http-after-response set-header s2 "s2: "
    http-after-response set-header s1 "%[res.fhdr(s1)] st=<%[var(res.st)]>;"
    http-after-response set-header s2 "%[res.fhdr(s2)] st=<%[status]>;"
    http-after-response set-header h "%[res.fhdr(h)] a=<%[res.hdr(ha)]>; fa=<%[res.fhdr(ha)]>;"
    http-after-response set-header h "%[res.fhdr(h)] b=<%[res.hdr(hb)]>; fb=<%[res.fhdr(hb)]>;"
    http-after-response set-header h "%[res.fhdr(h)] c=<%[res.hdr(hc)]>; fc=<%[res.fhdr(hc)]>;"
    http-after-response set-header h "%[res.fhdr(h)] d=<%[res.hdr(hd)]>; fd=<%[res.fhdr(hd)]>;"
"""
case("http-rules/http_after_response", DEFAULTS + """
frontend after
    bind 127.0.0.1:@fe@
    http-request deny if { path /deny }
    http-request redirect location / if { path /redir }
    http-request auth if { path /auth }
    http-after-response allow if { status eq 403 }
    http-after-response allow if { status eq 302 }
    http-after-response allow if { status eq 401 }
    http-after-response set-header be-s1 "%[res.fhdr(s1)]"
    http-after-response set-header be-s2 "%[res.fhdr(s2)]"
    http-after-response set-header be-h "%[res.fhdr(h)]"
""" + _AFTER + """
    default_backend b
backend b
    stats enable
    stats uri /stats
    http-request return status 234 content-type text/plain string "a body here" if { path /ret }
    http-response deny if { capture.req.uri /deny-srv }
    http-after-response allow if { status eq 502 }
    http-after-response set-status 234 if { capture.req.uri /stats }
    http-after-response add-header ha one unless { capture.req.uri / }
    http-after-response add-header hb two-a unless { capture.req.uri / }
    http-after-response add-header hb two-b unless { capture.req.uri / }
    http-after-response add-header hc "three-a, three-b" unless { capture.req.uri / }
    http-after-response add-header hd "%[str()]" unless { capture.req.uri / }
    http-after-response del-header content-type
""" + _AFTER + """
    server o @s1@
""", [("fe", [R("/", want={"status": 200, "h:content-type": None, "body": "a body here",
                           "h:be-s1": "s1: st=<234>;"}),
              R("/ret", want={"status": 200, "h:content-type": None, "body": "a body here"}),
              R("/stats", want={"status": 200, "h:content-type": None})]),
      ("fe", [R("/deny", want={"status": 403, "h:be-s1": None, "h:s1": None, "h:h": None})]),
      ("fe", [R("/redir", want={"status": 302, "h:be-s1": None, "h:s1": None})]),
      ("fe", [R("/auth", want={"status": 401, "h:be-s1": None, "h:s1": None})]),
      ("fe", [R("/deny-srv", want={"status": 200, "h:be-s1": ""})])],
    origins=[O("s1", status=234, hdrs=[("ha", "one"), ("hb", " two-a"), ("hb", "   two-b"),
                                       ("hc", "     three-a, three-b"), ("hd", "")],
               body="a body here")],
    show=["h:be-s2", "h:be-h", "h:s1", "h:s2", "h:h", "h:content-length"])

# http-rules/map_redirect.vtc: a redirect whose location comes from a map
# and is skipped when the map gives nothing (ignore-empty); a prefix
# redirect from a map keyed by the Host without its port; a variable set
# from a map and used by the default backend's redirect, which denies
# otherwise; backends chosen with map_dom, with and without a default.
_MAPRED = DEFAULTS + """
frontend mapred
    bind 127.0.0.1:@fe@
    http-request redirect code 301 location %[path,map_str(@dir@/redirect.map)] ignore-empty
    http-request redirect prefix %[req.hdr(host),lower,regsub(:\\d+$,,),map_str(@dir@/redirect.map)] code 301 if { hdr(host),lower,regsub(:\\d+$,,),map_str(@dir@/redirect.map) -m found }
    http-request set-var(txn.goto) req.hdr(x-goto),lower,regsub(:\\d+$,,),map_str(@dir@/redirect.map) if { hdr(x-goto),lower,regsub(:\\d+$,,),map_str(@dir@/redirect.map) -m found }
    use_backend %[req.hdr(host),lower,map_dom(@dir@/be.map)] if { hdr_dom(host) -i a.example.com || hdr_dom(host) -i b.example.com }
    use_backend %[req.hdr(host),lower,map_dom(@dir@/be.map,be_c)] if { hdr_dom(host) -m end -i example.com }
    use_backend %[req.hdr(host),lower,map_dom(@dir@/be.map,be_d)] if { hdr_dom(host) -m end -i example.invalid }
    default_backend fallback
backend fallback
    http-request redirect prefix %[var(txn.goto)] code 301 if { var(txn.goto) -m found }
    http-request deny
backend be_a
    server a @s1@
backend be_b
    server b @s2@
backend be_c
    server c @s3@
backend be_d
    server d @s4@
"""
_MAPRED_ORIGINS = [O("s1", body="from a"), O("s2", body="from b"), O("s3", body="from c"),
                   O("s4", body="from d")]
case("http-rules/map_redirect", _MAPRED, [
    ("fe", [R("/", hdrs=[("Host", "shop.example:8443")],
              want={"status": 301, "h:location": "https://www.shop.example/"}),
            R("/old/place", want={"status": 301, "h:location": "/new/place"})]),
    ("fe", [R("/", hdrs=[("Host", "sub.shop.example")],
              want={"status": 301, "h:location": "https://www.sub.shop.example/"})]),
    ("fe", [R("/", hdrs=[("X-Goto", "sub.shop.example")],
              want={"status": 301, "h:location": "https://www.sub.shop.example/"})]),
    ("fe", [R("/", hdrs=[("Host", "www.sub.shop.example")], want={"status": 403})]),
    ("fe", [R("/", hdrs=[("X-Goto", "www.sub.shop.example")], want={"status": 403})]),
    ("fe", [R("/", hdrs=[("Host", ":8443shop.example")], want={"status": 403})]),
    ("fe", [R("/", hdrs=[("Host", "a.example.com")], want={"status": 200, "body": "from a"}),
            R("/", hdrs=[("Host", "b.example.com")], want={"status": 200, "body": "from b"}),
            R("/", hdrs=[("Host", "c.example.com")], want={"status": 200, "body": "from c"})]),
    ("fe", [R("/", hdrs=[("Host", "x.example.invalid")], want={"status": 200, "body": "from a"}),
            R("/", hdrs=[("Host", "y.example.invalid")], want={"status": 200, "body": "from d"})]),
], origins=_MAPRED_ORIGINS, show=["s:host"])

# http-rules/h00003.vtc: the older form of the same map tests, several
# redirects on one client connection and the backend chosen by map_dom.
case("http-rules/h00003", _MAPRED, [
    ("fe", [R("/", hdrs=[("Host", "shop.example:8443")],
              want={"status": 301, "h:location": "https://www.shop.example/"}),
            R("/", hdrs=[("Host", "sub.shop.example")],
              want={"status": 301, "h:location": "https://www.sub.shop.example/"}),
            R("/", hdrs=[("X-Goto", "sub.shop.example")],
              want={"status": 301, "h:location": "https://www.sub.shop.example/"})]),
    ("fe", [R("/", hdrs=[("Host", "a.example.com")], want={"status": 200, "body": "from a"}),
            R("/", hdrs=[("Host", "b.example.com")], want={"status": 200, "body": "from b"}),
            R("/", hdrs=[("Host", "zz.example.com")], want={"status": 200, "body": "from c"})]),
], origins=_MAPRED_ORIGINS, show=["s:host"])

# http-rules/path_and_pathq.vtc: path, pathq, query and url as samples;
# set-path, replace-path, set-pathq and replace-pathq chained, with an
# origin-form and an absolute-form request. (The absolute-form one carries
# a Host field here: lbd refuses it without one on purpose, see http.md.)
case("http-rules/path_and_pathq", DEFAULTS + """
frontend pq
    bind 127.0.0.1:@fe@
    http-request add-header x-path %[path]
    http-request add-header x-pathq %[pathq]
    http-request add-header x-query %[query]
    http-request add-header x-url %[url]
    http-request set-path /f%[path]
    http-request replace-path (.*) /pre\\1
    http-request replace-path (.*) \\1/post
    http-request set-pathq %[path]?tag=t1&%[query]
    http-request replace-pathq /([^?]*)\\?tag=([^&]*)&?(.*) /\\2/\\1?\\3
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/one?a=1&b=2", want={"status": 200, "s:line": "GET /t1/pre/f/one/post?a=1&b=2 HTTP/1.1",
                                    "s:x-path": "/one", "s:x-pathq": "/one?a=1&b=2",
                                    "s:x-query": "a=1&b=2", "s:x-url": "/one?a=1&b=2"}),
              R("http://127.0.0.1/two?a=1&b=2", hdrs=[("Host", "127.0.0.1")],
                want={"status": 200, "s:line": "GET http://127.0.0.1/t1/pre/f/two/post?a=1&b=2 HTTP/1.1",
                      "s:x-path": "/two", "s:x-pathq": "/two?a=1&b=2",
                      "s:x-url": "http://127.0.0.1/two?a=1&b=2"})])],
    origins=[O("s1")])

# http-rules/default_rules.vtc: rules in named defaults sections that
# proxies inherit with "from"; a defaults section's rules run first; fe_name
# and be_name; on a second frontend the defaults' "allow" skips the proxy's
# own deny rules.
case("http-rules/default_rules", """
defaults base
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
defaults d_front from base
    http-request set-header x-fe "%[fe_name]"
    http-request set-var(txn.t1) str(d_front)
    http-response set-header x-fe "%[fe_name]"
    http-response set-var(txn.t2) str(d_front)
    http-after-response set-var(txn.t3) str(d_front)
defaults d_back from base
    http-request set-header x-be "%[be_name]"
    http-request set-var(txn.t1) str(d_back)
    http-response set-header x-be "%[be_name]"
    http-response set-var(txn.t2) str(d_back)
    http-after-response set-var(txn.t3) str(d_back)
frontend front1 from d_front
    bind 127.0.0.1:@fe@
    http-request set-header x-t1-fe "%[var(txn.t1)]"
    http-response set-header x-t2-fe "%[var(txn.t2)]"
    http-after-response set-header x-t3-fe "%[var(txn.t3)]"
    default_backend back1
backend back1 from d_back
    http-request set-header x-t1-be "%[var(txn.t1)]"
    http-response set-header x-t2-be "%[var(txn.t2)]"
    http-after-response set-header x-t3-be "%[var(txn.t3)]"
    server o @s1@
defaults a_front from base
    http-request allow
    http-response allow
    http-after-response allow
defaults a_back from base
    http-request allow
    http-response allow
    http-after-response allow
frontend front2 from a_front
    bind 127.0.0.1:@fe2@
    http-request deny status 403
    http-response deny status 502
    http-after-response set-status 502
    default_backend back2
backend back2 from a_back
    http-request deny status 403
    http-response deny status 502
    http-after-response set-status 502
    server o @s1@
""", [("fe", [R("/", want={"status": 200, "s:x-fe": "front1", "s:x-be": "back1",
                           "s:x-t1-fe": "d_front", "s:x-t1-be": "d_back", "h:x-fe": "front1",
                           "h:x-be": "back1", "h:x-t2-be": "d_back", "h:x-t2-fe": "d_front",
                           "h:x-t3-be": "d_back", "h:x-t3-fe": "d_front"})]),
      ("fe2", [R("/", want={"status": 200})])],
    origins=[O("s1")], ports=("fe", "fe2"))

# http-rules/h00000.vtc: the composite test: samples saved in variables,
# headers built from them (req.fhdr and req.hdr on repeated and empty
# fields), the start line rewritten by set-method, set-uri (with concat),
# set-path and set-query, once in the frontend and again in the backend;
# then the same on the response with set-status. Values compared as they
# are (the reg-test hashes them with crc32).
_COMP_REQ = """
    http-request set-var(req.m) method
    http-request set-var(req.u) url
    http-request set-var(req.p) path
    http-request set-var(req.q) query
    http-request set-var(req.a) url_param(arg)
    http-request set-header l1 "l1: "
    http-request set-method "%[str(GET)]"
    http-request set-uri concat(/bu/,req.u,/eu)
    http-request set-path "/bp/%[var(req.p)]/ep"
    http-request set-query "bq&%[var(req.q)]&eq"
    http-request set-header l2 "l2: "
    http-request set-header l1 "%[req.fhdr(l1)] m=<%[var(req.m)]>; u=<%[var(req.u)]>; p=<%[var(req.p)]>;"
    http-request set-header l1 "%[req.fhdr(l1)] q=<%[var(req.q)]>; a=<%[var(req.a)]>"
    http-request set-header l2 "%[req.fhdr(l2)] m=<%[method]>; u=<%[url]>; p=<%[path]>; "
    http-request set-header l2 "%[req.fhdr(l2)] q=<%[query]>; a=<%[url_param(arg)]>"
    http-request set-header h "%[req.fhdr(h)] a=<%[req.hdr(ha)]>; fa=<%[req.fhdr(ha)]>;"
    http-request set-header h "%[req.fhdr(h)] b=<%[req.hdr(hb)]>; fb=<%[req.fhdr(hb)]>;"
    http-request set-header h "%[req.fhdr(h)] c=<%[req.hdr(hc)]>; fc=<%[req.fhdr(hc)]>;"
    http-request set-header h "%[req.fhdr(h)] d=<%[req.hdr(hd)]>; fd=<%[req.fhdr(hd)]>;"
"""
_COMP_RSP = """
    http-response set-var(res.st) status
    http-response set-header l1 "l1: "
    http-response set-status 200
    http-response set-header l2 "l2: "
    http-response set-header l1 "%[res.fhdr(l1)] st=<%[var(res.st)]>;"
    http-response set-header l2 "%[res.fhdr(l2)] st=<%[status]>;"
    http-response set-header h "%[res.fhdr(h)] a=<%[res.hdr(ha)]>; fa=<%[res.fhdr(ha)]>;"
    http-response set-header h "%[res.fhdr(h)] b=<%[res.hdr(hb)]>; fb=<%[res.fhdr(hb)]>;"
    http-response set-header h "%[res.fhdr(h)] c=<%[res.hdr(hc)]>; fc=<%[res.fhdr(hc)]>;"
    http-response set-header h "%[res.fhdr(h)] d=<%[res.hdr(hd)]>; fd=<%[res.fhdr(hd)]>;"
"""
_COMP_HDRS = [("ha", "one"), ("hb", " two-a"), ("hb", "   two-b"), ("hc", "     three-a, three-b"),
              ("hd", "")]
case("http-rules/h00000", DEFAULTS + """
frontend comp
    bind 127.0.0.1:@fe@
""" + _COMP_REQ + """
    http-response set-header be-l1 "%[res.fhdr(l1)]"
    http-response set-header be-l2 "%[res.fhdr(l2)]"
    http-response set-header be-h "%[res.fhdr(h)]"
""" + _COMP_RSP + """
    default_backend b
backend b
    http-request set-header fe-l1 "%[req.fhdr(l1)]"
    http-request set-header fe-l2 "%[req.fhdr(l2)]"
    http-request set-header fe-h "%[req.fhdr(h)]"
""" + _COMP_REQ + _COMP_RSP + """
    server o @s1@
""", [("fe", [R("/dir/file.ext?arg=val", hdrs=[(k, v.strip() if k != "hb" else v) for k, v in _COMP_HDRS],
                want={"status": 200, "body": "a body here",
                      "s:line": "GET /bp//bp//dir/file.ext/ep/ep?bq&bq&arg=val&eq&eq HTTP/1.1"})])],
    origins=[O("s1", status=234, hdrs=_COMP_HDRS, body="a body here")],
    show=["s:fe-l1", "s:fe-l2", "s:fe-h", "s:l1", "s:l2", "s:h", "h:be-l1", "h:be-l2", "h:be-h",
          "h:l1", "h:l2", "h:h"])

# http-rules/ifnone-forwardfor.vtc: "option forwardfor if-none" on the
# frontend or the backend adds X-Forwarded-For only when the request has
# none; without if-none it always adds one. The client address comes from
# set-src; a third frontend answers with the number of X-Forwarded-For
# fields it got (req.fhdr_cnt).
case("http-rules/ifnone-forwardfor", DEFAULTS + """
frontend ifnone
    bind 127.0.0.1:@fe@
    http-request set-src hdr(x-src)
    option forwardfor if-none
    use_backend b_always if { path /always }
    use_backend b_ifnone if { path /ifnone }
frontend always
    bind 127.0.0.1:@fe2@
    http-request set-src hdr(x-src)
    option forwardfor
    use_backend b_always if { path /always }
    use_backend b_ifnone if { path /ifnone }
frontend count
    bind 127.0.0.1:@fe3@
    http-request return status 200 hdr x-ff "%[req.fhdr_cnt(x-forwarded-for)]"
backend b_always
    option forwardfor
    server o 127.0.0.1:@fe3@
backend b_ifnone
    option forwardfor if-none
    server o 127.0.0.1:@fe3@
""", [("fe", [R("/always", hdrs=[("x-src", "10.1.2.3"), ("x-forwarded-for", "192.0.2.9")],
                want={"status": 200, "h:x-ff": "2"}),
              R("/ifnone", hdrs=[("x-src", "10.1.2.3"), ("x-forwarded-for", "192.0.2.9")],
                want={"status": 200, "h:x-ff": "1"}),
              R("/ifnone", hdrs=[("x-src", "10.1.2.3")], want={"status": 200, "h:x-ff": "1"})]),
      ("fe2", [R("/always", hdrs=[("x-src", "10.1.2.3"), ("x-forwarded-for", "192.0.2.9")],
                 want={"status": 200, "h:x-ff": "2"}),
               R("/ifnone", hdrs=[("x-src", "10.1.2.3"), ("x-forwarded-for", "192.0.2.9")],
                 want={"status": 200, "h:x-ff": "2"})])],
    ports=("fe", "fe2", "fe3"))

# http-rules/except-forwardfor-originalto.vtc: "option forwardfor except
# NET" and "option originalto except NET" with IPv4 and IPv6 addresses and
# networks; source and destination set by set-src and set-dst.
_EXC = [("127.0.0.1", "127.0.0.1", "127.0.0.2"), ("10.0.0.1/25", "10.0.0.1", "10.0.0.128"),
        ("::1", "::1", "::2"), ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1", "2001:db8::1:0:0:2"),
        ("2001:db8:1f89::/48", "2001:db8:1f89::1", "2001:db8:1f90::1")]
case("http-rules/except-forwardfor-originalto", DEFAULTS + """
frontend exc
    bind 127.0.0.1:@fe@
    http-request set-src hdr(x-src)
    http-request set-dst hdr(x-dst)
""" + "".join("    use_backend b%d if { path /r%d }\n" % (i, i) for i in range(len(_EXC))) + """
frontend show
    bind 127.0.0.1:@fe2@
    http-request return status 200 hdr x-ff "%[req.hdr(x-forwarded-for)]" hdr x-ot "%[req.hdr(x-original-to)]"
""" + "".join("""backend b%d
    option forwardfor except %s
    option originalto except %s
    server o 127.0.0.1:@fe2@
""" % (i, e[0], e[0]) for i, e in enumerate(_EXC)),
    [("fe", [r for i, e in enumerate(_EXC) for r in (
        R("/r%d" % i, hdrs=[("x-src", e[1]), ("x-dst", e[1])],
          want={"status": 200, "h:x-ff": None, "h:x-ot": None}),
        R("/r%d" % i, hdrs=[("x-src", e[2]), ("x-dst", e[2])],
          want={"status": 200, "h:x-ff": e[2], "h:x-ot": e[2]}))])],
    ports=("fe", "fe2"))

# http-rules/converters_ipmask_concat_strcmp_field_word.vtc: ipmask (IPv4
# and IPv6 masks) on req.hdr_ip, hdr_ip on plain, ported and bracketed
# addresses; concat with variables, strcmp in values and ACLs, field and
# word with negative indexes and counts. (The reg-test's PROXY-protocol
# source and its map_regm line are left to other cases.)
case("http-rules/converters_ipmask_concat_strcmp_field_word", DEFAULTS + """
frontend conv
    bind 127.0.0.1:@fe@
    http-request set-header m1 %[req.hdr_ip(a1),ipmask(24,128)]
    http-request set-header m2 %[req.hdr_ip(a2),ipmask(24,64)]
    http-request set-header m3 %[req.hdr_ip(a2),ipmask(24,120)]
    http-request set-header m4 %[req.hdr_ip(a2),ipmask(24,ffff:ffff:ffff:ffff:ffff:ffff:ffff:fee0)]
    http-request set-header m5 %[req.hdr_ip(a3),ipmask(24,ffff:ffff:ffff:ffff::)]
    http-request set-header m6 %[req.hdr_ip(a4),ipmask(32,64)]
    http-request set-header m7 %[req.hdr_ip(a5),ipmask(24)]
    http-request set-header m8 %[req.hdr_ip(a5),ipmask(25)]
    http-request set-header p1 %[req.hdr_ip(p1)]
    http-request set-header p2 %[req.hdr_ip(p2)]
    http-request set-header p3 %[req.hdr_ip(p3)]
    http-request set-header p4 %[req.hdr_ip(p4)]
    http-request set-var(sess.f1) hdr(f1)
    http-request set-var(sess.f2) hdr(f2)
    http-request set-var(sess.fall) hdr(fall)
    http-request set-var(sess.fcat) hdr(f1),concat(_,sess.f2,)
    http-request set-header cat2 %[var(sess.f1),concat(_,sess.f2,)]
    http-request set-header cat3 %[hdr(f1),concat(_,sess.f2,)]
    http-request set-header cat %[var(sess.fcat)]
    http-request set-header cmp %[hdr(fall),strcmp(sess.fcat)]
    http-request deny unless { hdr(fall),strcmp(sess.fcat) eq 0 }
    http-request set-header fd1 %[hdr(fall),field(5,_)]
    http-request set-var(sess.ok) path,lower,field(4,/,1)
    http-request set-header fd2 %[var(sess.ok)]
    http-request set-header fd3 %[url_param(qs),upper,field(2,_,2)]
    http-request set-header fd4 %[var(sess.fall),field(2,_,0)]
    http-request set-header fd5 %[var(sess.fcat),field(2,_,2)]
    http-request set-header fd6 %[hdr(cat2),field(-2,_,3)]
    http-request set-header fd7 %[hdr(cat3),field(-3,_,0)]
    http-request set-header wd1 %[hdr(fall),word(4,_)]
    http-request set-header wd2 %[path,upper,word(3,/,1)]
    http-request set-header wd3 %[url_param(qs),word(1,_,2)]
    http-request set-header wd4 %[var(sess.fall),word(2,_,0)]
    http-request set-header wd5 %[var(sess.fcat),word(3,_,2)]
    http-request set-header wd6 %[hdr(cat2),word(-2,_,3)]
    http-request set-header wd7 %[hdr(cat3),word(-3,_,0)]
    http-request deny unless { str(ok),strcmp(sess.ok) eq 0 }
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/is/this/Ok/or/not?qs=Yes_It_Is", hdrs=[
    ("a1", "2001:db8::1"), ("a2", "2001:db8::bad:c0f:ffff"),
    ("a3", "2001:db8:c001:c01a:ffff:ffff:10:ffff"), ("a4", "::FFFF:192.168.1.101"),
    ("a5", "192.168.1.255"), ("p1", "192.168.2.1"), ("p2", "192.168.2.1:6789"),
    ("p3", "2001:db8:c001:c01a:ffff:ffff:20:ffff"), ("p4", "[2001:db8:c001:c01a:ffff:ffff:20:ffff]"),
    ("fall", "f1_f2_f3__f5"), ("f1", "f1_f2"), ("f2", "f3__f5")],
    want={"status": 200, "s:cat": "f1_f2_f3__f5", "s:cat2": "f1_f2_f3__f5", "s:cmp": "0",
          "s:fd1": "f5", "s:fd2": "ok", "s:fd3": "IT_IS", "s:fd4": "f2_f3__f5", "s:fd5": "f2_f3",
          "s:fd6": "f2_f3_", "s:fd7": "f1_f2_f3", "s:wd1": "f5", "s:wd2": "OK", "s:wd3": "Yes_It",
          "s:wd4": "f2_f3__f5", "s:wd5": "f3__f5", "s:wd6": "f1_f2_f3", "s:wd7": "f1_f2",
          "s:m7": "192.168.1.0", "s:m8": "192.168.1.128", "s:m6": "192.168.1.101",
          "s:p1": "192.168.2.1", "s:p2": "192.168.2.1",
          "s:p3": "2001:db8:c001:c01a:ffff:ffff:20:ffff"})])],
    origins=[O("s1")], show=["s:p4", "s:m1", "s:m2", "s:m3", "s:m4", "s:m5", "s:cat3"])

# http-rules/b00000.vtc: replace-value on Host drops the port, a variable
# keeps the Host, and map_regm (a regex map with back-references) maps it,
# from the field and from the variable; the log line of the request.
case("http-rules/b00000", DEFAULTS + """
frontend regm
    bind 127.0.0.1:@fe@
    http-request replace-value host '(.*):.*' '\\1'
    http-request set-var(txn.host) req.hdr(host)
    http-request set-header x-from-hdr %[req.hdr(host),map_regm(@dir@/regm.map,"unknown")]
    http-request set-header x-from-var %[var(txn.host),map_regm(@dir@/regm.map,"unknown")]
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/", hdrs=[("Host", "example.org:8443")],
                want={"status": 200, "s:x-from-hdr": "example_AND_org", "s:x-from-var": "example_AND_org"}),
              R("/", hdrs=[("Host", "www.example.org")],
                want={"status": 200, "s:x-from-hdr": "www.example_AND_org",
                      "s:x-from-var": "www.example_AND_org"})])],
    origins=[O("s1")])

# converter/field.vtc and converter/word.vtc: field(3,/) and word(2,/) on
# a variable holding the path, with the "-m found" test of an empty result.
for nm, conv, urls in (("converter/field", "field(3,/)", [("/a/bb/ccc", "bb"), ("/a", None)]),
                       ("converter/word", "word(2,/)",
                        [("/a/bb/ccc", "bb"), ("/a//bb/ccc", "bb"), ("/a", "")])):
    case(nm, DEFAULTS + """
frontend conv
    bind 127.0.0.1:@fe@
    http-request set-var(txn.p) path
    http-response set-header found %[var(txn.p),CONV] if { var(txn.p),CONV -m found }
    default_backend b
backend b
    server o @s1@
""".replace("CONV", conv), [("fe", [R(u, want={"status": 200, "h:found": v}) for u, v in urls])],
        origins=[O("s1")])

# converter/url_dec.vtc: url_dec on the whole URL, with and without
# decoding "+" outside the query string.
case("converter/url_dec", DEFAULTS + """
frontend dec
    bind 127.0.0.1:@fe@
    http-request set-var(txn.u) url
    http-response set-header d0 "%[var(txn.u),url_dec]"
    http-response set-header d1 "%[var(txn.u),url_dec(1)]"
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/p+q%20?k%3Dv%2B7+8%20", want={"status": 200, "h:d0": "/p+q ?k=v+7 8",
                                                   "h:d1": "/p q ?k=v+7 8"})])],
    origins=[O("s1")])

# sample_fetches/cook.vtc (the fetches 2.6 has): req.cook_cnt, req.cook_val
# with and without a name, req.cook of a cookie that is there and of one
# that is not.
case("sample_fetches/cook", DEFAULTS + """
frontend cook
    bind 127.0.0.1:@fe@
    http-request set-var(txn.n) req.cook_cnt()
    http-request set-var(txn.v) req.cook_val()
    http-request set-var(txn.v2) req.cook_val(c2)
    http-request set-var(txn.c2) req.cook(c2)
    http-request set-var(txn.none) req.cook(nope)
    http-response set-header n %[var(txn.n)]
    http-response set-header v %[var(txn.v)]
    http-response set-header v2 %[var(txn.v2)]
    http-response set-header c2 %[var(txn.c2)]
    http-response set-header none %[var(txn.none)]
    default_backend b
backend b
    server o @s1@
""", [("fe", [R("/", hdrs=[("Cookie", "c1=0; c2=123; c3=22")],
                want={"status": 200, "h:n": "3", "h:v": "0", "h:v2": "123", "h:c2": "123",
                      "h:none": ""})])],
    origins=[O("s1")])

# sample_fetches/vars.vtc: variables of every scope: set-var and
# set-var-fmt in the global section (proc.), tcp-request session and
# content rules, http-request rules, with add/div converters; proc. and
# sess. values carry over between requests and connections.
case("sample_fetches/vars", """
global
    set-var proc.twelve int(12)
    set-var proc.five var(proc.sixty,60),div(proc.twelve)
    set-var proc.w1 str("this is")
    set-var proc.w2 str("a string")
    set-var proc.s var(proc.w1)
    set-var-fmt proc.s "%[var(proc.s)] a string"
""" + DEFAULTS + """
frontend vars
    bind 127.0.0.1:@fe@
    tcp-request session set-var-fmt(sess.s3) "%[var(proc.w1)] %[var(proc.w2)]"
    tcp-request session set-var(sess.i5) var(proc.five)
    tcp-request session set-var(proc.five) var(proc.five),add(sess.i5)
    tcp-request content set-var-fmt(req.s4) "%[var(sess.s3),regsub(is a,is also a)]"
    http-request set-var-fmt(txn.s5) "%[var(req.s4)]"
    http-request set-var(req.i5) var(sess.i5)
    http-request set-var(sess.i5) var(sess.i5),add(req.i5)
    http-request return status 200 hdr x-var "proc=%[var(proc.five)] sess=%[var(sess.i5)] req=%[var(req.i5)] s=%[var(proc.s)] s5=%[var(txn.s5)]"
""", [("fe", [R("/1", want={"status": 200, "h:x-var": "proc=10 sess=10 req=5 s=this is a string s5=this is also a string"}),
              R("/2", want={"status": 200, "h:x-var": "proc=10 sess=20 req=10 s=this is a string s5=this is also a string"})]),
      ("fe", [R("/3", want={"status": 200, "h:x-var": "proc=20 sess=20 req=10 s=this is a string s5=this is also a string"})])])

# stick-table/src_conn_rate.vtc: a listen section tracks the source in a
# table kept by another backend (conn_rate over a minute) and denies from
# the fourth connection on.
case("stick-table/src_conn_rate", DEFAULTS + """
listen rate
    bind 127.0.0.1:@fe@
    http-request track-sc0 src table rates
    http-request deny if { src_conn_rate(rates) gt 3 }
    http-request return status 200
backend rates
    stick-table type ip size 1m expire 1m store conn_rate(1m)
""", [("fe", [R("/", want={"status": 200})]), ("fe", [R("/", want={"status": 200})]),
      ("fe", [R("/", want={"status": 200})]), ("fe", [R("/", want={"status": 403})])])

# balance/balance-rr.vtc, balance-uri.vtc, balance-uri-path-only.vtc: which
# of four servers answers each request, one request per connection.
# (The server picked by the hash depends on the server names and ports,
# so it is compared with HAProxy's rather than with the reg-test's.)
_BAL = """
listen pick
    bind 127.0.0.1:@fe@
    balance ALGO
    server srv1 @s1@
    server srv2 @s2@
    server srv3 @s3@
    server srv4 @s4@
"""
_BAL_O = [O("s%d" % i, hdrs=[("Server", "s%d" % i)], body="s%d" % i) for i in (1, 2, 3, 4)]
case("balance/balance-rr", DEFAULTS + _BAL.replace("ALGO", "roundrobin"),
     [("fe", [R("/u1", want={"status": 200, "body": b})]) for b in ("s1", "s2", "s3", "s4", "s1")],
     origins=_BAL_O)
case("balance/balance-uri", DEFAULTS + _BAL.replace("ALGO", "uri"),
     [("fe", [R(u, want={"status": 200})]) for u in ("/url1", "/url1?ignore=this-arg", "/url2",
                                                      "/url3", "/url4", "/url5", "/x/y/z")],
     origins=_BAL_O, show=["body"])
case("balance/balance-uri-path-only", DEFAULTS + _BAL.replace("ALGO", "uri path-only"),
     [("fe", [R(u, hdrs=[("Host", "127.0.0.1")] if u[0] == "h" else [], want={"status": 200})])
      for u in ("http://127.0.0.1/url1", "/url1?ignore=this-arg", "http://127.0.0.1/url2", "/url3",
                "/url4")],
     origins=_BAL_O, show=["body"])

# checks/http-monitor-uri.vtc: monitor-uri with a path and with an
# absolute URI, matched against origin-form and absolute-form requests,
# case-sensitively; anything else gets 503 (no backend).
case("checks/http-monitor-uri", DEFAULTS + """
frontend mon1
    bind 127.0.0.1:@fe@
    monitor-uri /alive
frontend mon2
    bind 127.0.0.1:@fe2@
    monitor-uri http://www.example.net/alive
""", [("fe", [R("/alive", want={"status": 200})]),
      ("fe", [R("http://www.example.net/alive", hdrs=[("Host", "www.example.net")], want={"status": 200})]),
      ("fe", [R("/aLIve", want={"status": 503})]),
      ("fe2", [R("http://www.example.net/alive", hdrs=[("Host", "www.example.net")], want={"status": 200})]),
      ("fe2", [R("/alive", want={"status": 503})])], ports=("fe", "fe2"))

# http-errorfiles/errorfiles.vtc: errorfile in defaults and in the
# frontend (the frontend's wins), /dev/null pages (the connection closes
# without an answer).
case("http-errorfiles/errorfiles", """
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
    errorfile 400 @dir@/e400.http
    errorfile 403 @dir@/e403.http
    errorfile 408 /dev/null
frontend ef
    bind 127.0.0.1:@fe@
    errorfile 403 @dir@/e403-one.http
    errorfile 500 /dev/null
    http-request deny deny_status 400 if { path /400 }
    http-request deny deny_status 403 if { path /403 }
    http-request deny deny_status 408 if { path /408 }
    http-request deny deny_status 500 if { path /500 }
""", [("fe", [R("/400", want={"status": 400, "h:x-page": "base"})]),
      ("fe", [R("/403", want={"status": 403, "h:x-page": "one"})]),
      ("fe", [R("/408", want={"closed": True})]),
      ("fe", [R("/500", want={"closed": True})])], show=["body"])

# http-errorfiles/http_errors.vtc: http-errors sections used by errorfiles
# in defaults and frontends, whole or for some codes, mixed with errorfile
# lines; which page wins for each code.
case("http-errorfiles/http_errors", """
http-errors one
    errorfile 400 @dir@/e400-one.http
    errorfile 403 @dir@/e403-one.http
    errorfile 404 @dir@/e404-one.http
    errorfile 500 @dir@/e500-one.http
http-errors two
    errorfile 400 @dir@/e400-two.http
    errorfile 403 @dir@/e403-two.http
    errorfile 404 @dir@/e404-two.http
http-errors three
    errorfile 400 @dir@/e400-three.http
    errorfile 404 @dir@/e404-three.http
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
    errorfiles two
    errorfile 400 @dir@/e400.http
    errorfile 404 @dir@/e404.http
frontend f1
    bind 127.0.0.1:@fe@
    http-request deny deny_status 400 if { path /400 }
    http-request deny if { path /403 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
frontend f2
    bind 127.0.0.1:@fe2@
    errorfiles one
    errorfile 500 @dir@/e500.http
    http-request deny deny_status 400 if { path /400 }
    http-request deny if { path /403 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
frontend f3
    bind 127.0.0.1:@fe3@
    errorfile 500 @dir@/e500.http
    errorfiles one 500
    errorfiles three 400
    http-request deny deny_status 400 if { path /400 }
    http-request deny if { path /403 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
""", [(p, [R("/%d" % c, want={"status": c, "h:x-page": w})])
      for p, c, w in (("fe", 400, "base"), ("fe", 403, "two"), ("fe", 404, "base"), ("fe", 500, None),
                      ("fe2", 400, "one"), ("fe2", 403, "one"), ("fe2", 404, "one"),
                      ("fe2", 500, "base"), ("fe3", 400, "three"), ("fe3", 403, "two"),
                      ("fe3", 404, "base"), ("fe3", 500, "one"))],
    ports=("fe", "fe2", "fe3"), show=["body"])

# http-errorfiles/http-error.vtc: http-error status lines: an empty one,
# default-errorfiles, errorfiles of a section, an errorfile, and one with
# content-type, a header and an lf-string used by "return ...
# default-errorfiles".
case("http-errorfiles/http-error", """
http-errors one
    errorfile 400 @dir@/e400-one.http
    errorfile 403 @dir@/e403-one.http
    errorfile 404 @dir@/e404-one.http
    errorfile 500 @dir@/e500-one.http
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
    errorfile 400 @dir@/e400.http
    errorfile 404 @dir@/e404.http
frontend he
    bind 127.0.0.1:@fe@
    http-error status 400
    http-error status 403 default-errorfiles
    http-error status 404 errorfiles one
    http-error status 500 errorfile @dir@/e500.http
    http-error status 200 content-type text/plain hdr x-path "path=%[path]" lf-string "you asked for \\"%[path]\\""
    http-request return status 200 default-errorfiles if { path /200 }
    http-request deny deny_status 400 if { path /400 }
    http-request deny deny_status 403 if { path /403 }
    http-request deny deny_status 404 if { path /404 }
    http-request deny deny_status 500 if { path /500 }
""", [("fe", [R("/200", want={"status": 200, "h:x-path": "path=/200", "h:content-type": "text/plain",
                              "body": "you asked for \"/200\""})]),
      ("fe", [R("/400", want={"status": 400, "h:x-page": None, "h:content-length": "0"})]),
      ("fe", [R("/403", want={"status": 403, "h:x-page": None, "h:content-type": "text/html"})]),
      ("fe", [R("/404", want={"status": 404, "h:x-page": "one"})]),
      ("fe", [R("/500", want={"status": 500, "h:x-page": "base"})])], show=["body", "h:content-length"])

# http-errorfiles/http_deny_errors.vtc: deny with deny_status and an
# errorfile, errorfiles of a section, /dev/null (closed without an answer),
# and deny with status, a header, content-type and string or lf-file.
case("http-errorfiles/http_deny_errors", """
http-errors one
    errorfile 400 @dir@/e400-one.http
    errorfile 403 @dir@/e403-one.http
    errorfile 404 @dir@/e404-one.http
    errorfile 500 /dev/null
""" + DEFAULTS + """
frontend de
    bind 127.0.0.1:@fe@
    http-request deny deny_status 400 if { path /400 }
    http-request deny deny_status 403 errorfile @dir@/e403.http if { path /403 }
    http-request deny deny_status 404 errorfiles one if { path /404 }
    http-request deny deny_status 500 errorfile /dev/null if { path /500-a }
    http-request deny deny_status 500 errorfiles one if { path /500-b }
    http-request deny status 500 hdr x-info "path=%[path]" content-type text/plain string "it broke" if { path /broke }
    http-request deny status 403 hdr x-info "path=%[path]" content-type text/plain lf-file @dir@/lf403.txt if { path /nope }
""", [("fe", [R("/400", want={"status": 400, "h:x-page": None})]),
      ("fe", [R("/403", want={"status": 403, "h:x-page": "base"})]),
      ("fe", [R("/404", want={"status": 404, "h:x-page": "one"})]),
      ("fe", [R("/500-a", want={"closed": True})]),
      ("fe", [R("/500-b", want={"closed": True})]),
      ("fe", [R("/broke", want={"status": 500, "h:x-info": "path=/broke", "h:content-type": "text/plain",
                                "h:content-length": "8", "body": "it broke"})]),
      ("fe", [R("/nope", want={"status": 403, "h:x-info": "path=/nope", "h:content-type": "text/plain",
                               "body": "no entry to \"/nope\"\n"})])])

# http-cookies/cookie_insert_indirect.vtc: "cookie NAME insert indirect":
# the client's cookie naming no server is taken off the request, the
# server's own cookie of that name is replaced by the server's value, and
# the log line carries the --II flags.
case("http-cookies/cookie_insert_indirect", """
global
    log 127.0.0.1:@log@ len 2048 local0 debug err
defaults
    mode http
    option httplog
    log global
    timeout connect 2s
    timeout client 3s
    timeout server 3s
backend cb
    cookie SRV insert indirect
    server srv1 @s1@ cookie one
frontend cf
    option httplog
    bind 127.0.0.1:@fe@
    use_backend cb
""", [("fe", [R("/", hdrs=[("Cookie", "SRV=nosuch")],
                want={"status": 200, "h:set-cookie": "~^SRV=one; path=/", "s:cookie": None})])],
    origins=[O("s1", hdrs=[("Set-Cookie", "SRV=S1")])],
    log=True, want_log=[r"cf cb/srv1 .* 200 .* --II .*\"GET / HTTP/1.1\""])

# http-capture/multiple_headers.vtc: "capture request header" and "capture
# response header" (len 25) keep the last of many repeated fields; the
# httplog line shows both, with bodies of 16 KiB each way.
_CAPREQ = [("fooreq", "req-%02d-value" % i) for i in range(44)]
_CAPRSP = [("fooresp", "rsp-%02d-value" % i) for i in range(45)]
case("http-capture/multiple_headers", """
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
backend cb
    server srv @s1@
frontend cap
    option httplog
    log 127.0.0.1:@log@ local0 debug err
    capture request header fooreq len 25
    capture response header fooresp len 25
    bind 127.0.0.1:@fe@
    use_backend cb
""", [("fe", [R("/", hdrs=_CAPREQ, body=b"q" * 16384, want={"status": 200})])],
    origins=[O("s1", hdrs=_CAPRSP, body="r" * 16384)],
    log=True, want_log=[r"cap cb/srv .* 200 1\d{4} - - ---- .* \{req-43-value\} \{rsp-44-value\} \"GET / HTTP/1.1\""])

# log/wrong_ip_port_logging.vtc: a mode tcp log-format with the frontend's
# address and port, the client's, the names, the termination state and the
# bytes read, logged at the end of a session the client timeout ended.
case("log/wrong_ip_port_logging", """
global
    log 127.0.0.1:@log@ local0
defaults
    log global
    timeout connect 2s
    timeout client 1
    timeout server 3s
frontend tl
    bind 127.0.0.1:@fe@
    mode tcp
    log-format {\\"dip\\":\\"%fi\\",\\"dport\\":\\"%fp\\",\\"c_ip\\":\\"%ci\\",\\"fe\\":\\"%ft\\",\\"be\\":\\"%b\\",\\"srv\\":\\"%s\\",\\"ts\\":\\"%ts\\",\\"bytes\\":\\"%B\\"}
    default_backend tb
backend tb
    mode tcp
    server app1 @s1@
""", [("fe", [R("/", want={"closed": True})])],
    origins=[("s1", lambda req: None, {"delay": 0.05})],
    log=True, want_log=[r"\"dip\":\"127.0.0.1\",\"dport\":\"PORT\",\"c_ip\":\"127.0.0.1\".*\"ts\":\"[cC-][D-]\""])

# connection/http_reuse_never.vtc, http_reuse_safe.vtc, http_reuse_aggressive.vtc,
# http_reuse_always.vtc: a listen section forwards to a second one in the
# same daemon, which answers whether the request is the first on its client
# connection (http_first_req), i.e. whether the first proxy opened a new
# server connection, and which client-id its session saw first; three or
# so client connections one after the other.
# One thread: HAProxy keeps idle server connections per thread, and whether a
# client connection lands on the thread that holds the idle one is chance
# (aggressive failed 3 runs in a row on this 2-core machine with 2 threads).
_REUSE = "global\n    nbthread 1\n" + DEFAULTS + """
listen front
    bind 127.0.0.1:@fe@
    http-reuse MODE
    http-request set-header client-id %[req.hdr(client-id)] if { req.hdr(client-id) -m found }
    server back 127.0.0.1:@fe2@POOL
listen back
    bind 127.0.0.1:@fe2@
    http-request set-var(sess.cid) req.hdr(client-id)
    http-request return status 200
    http-after-response set-header first %[http_first_req]
    http-after-response set-header client-id %[var(sess.cid)]
"""


def _reuse_conn(cid, first1, then, owner):
    return ("fe", [R("/", hdrs=[("client-id", cid)], want={"status": 200, "h:first": first1}),
                   R("/", want={"h:first": then, "h:client-id": owner}),
                   R("/", want={"h:first": then, "h:client-id": owner})])


for mode, pool, conns in (
        ("never", " pool-max-conn 1", [_reuse_conn(c, "1", "0", c) for c in ("one", "two", "three")]),
        ("safe", " pool-max-conn 1", [_reuse_conn("one", "1", "0", "one"),
                                      _reuse_conn("two", "1", "0", "one"),
                                      _reuse_conn("three", "1", "0", "one")]),
        ("aggressive", "", [("fe", [R("/", want={"h:first": "1"})]),
                            ("fe", [R("/", want={"h:first": "1"}), R("/", want={"h:first": "0"})]),
                            ("fe", [R("/", want={"h:first": "0"})])]),
        ("always", "", [("fe", [R("/", want={"h:first": "1"})]),
                        ("fe", [R("/", want={"h:first": "0"}), R("/", want={"h:first": "0"})]),
                        ("fe", [R("/", want={"h:first": "0"})])])):
    case("connection/http_reuse_" + mode, _REUSE.replace("MODE", mode).replace("POOL", pool),
         conns, ports=("fe", "fe2"))

# sample_fetches/srv_name.vtc: srv_id and srv_name in http-response, two
# requests on one connection going round-robin to two servers.
case("sample_fetches/srv_name", DEFAULTS + """
frontend names
    bind 127.0.0.1:@fe@
    http-response set-header x-srv-id "%[srv_id]"
    http-response set-header x-srv-name "%[srv_name]"
    default_backend b
backend b
    server alpha @s1@
    server beta @s2@
""", [("fe", [R("/", want={"status": 200, "h:x-srv-id": "1", "h:x-srv-name": "alpha"}),
              R("/", want={"status": 200, "h:x-srv-id": "2", "h:x-srv-name": "beta"})])],
    origins=[O("s1"), O("s2")])

# http-rules/http_auth.vtc: a userlist with a group; http_auth_user,
# http_auth_pass, http_auth_type read before validation, http_auth and
# http_auth_group in ACLs; "auth realm" on a protected path; values shown
# by http-after-response on every answer (the 401 too).
case("http-rules/http_auth", DEFAULTS + """
userlist people
    group staff
    user ann insecure-password annpw groups staff
    user bob insecure-password bobpw
frontend au
    bind 127.0.0.1:@fe@
    acl good http_auth(people)
    acl staff http_auth_group(people) staff
    http-request set-var(txn.u) http_auth_user
    http-request set-var(txn.p) http_auth_pass
    http-request set-var(txn.t) http_auth_type
    http-request set-var(txn.ok) str(yes) if good
    http-request set-var(txn.st) str(yes) if staff
    http-request auth realm "members only" if { path /members } !good
    http-request return status 200
    http-after-response set-header x-u "%[var(txn.u)]"
    http-after-response set-header x-p "%[var(txn.p)]"
    http-after-response set-header x-t "%[var(txn.t)]"
    http-after-response set-header x-ok "%[var(txn.ok)]"
    http-after-response set-header x-st "%[var(txn.st)]"
""", [("fe", [R("/open", want={"status": 200, "h:x-u": "", "h:x-ok": ""}),
              R("/open", hdrs=[("Authorization", "Basic YW5uOmFubnB3")],
                want={"status": 200, "h:x-u": "ann", "h:x-p": "annpw", "h:x-t": "Basic",
                      "h:x-ok": "yes", "h:x-st": "yes"}),
              R("/open", hdrs=[("Authorization", "Basic Ym9iOmJvYnB3")],
                want={"status": 200, "h:x-u": "bob", "h:x-ok": "yes", "h:x-st": ""}),
              R("/open", hdrs=[("Authorization", "Basic YW5uOm5vcGU=")],
                want={"status": 200, "h:x-u": "ann", "h:x-p": "nope", "h:x-ok": ""})]),
      ("fe", [R("/members", want={"status": 401, "h:www-authenticate": 'Basic realm="members only"'}),
              R("/members", hdrs=[("Authorization", "Basic YW5uOm5vcGU=")], want={"status": 401}),
              R("/members", hdrs=[("Authorization", "Basic YW5uOmFubnB3")],
                want={"status": 200, "h:x-u": "ann"})])], show=["h:x-p", "h:x-t", "h:x-st"])

EXPECT = {}  # filled below the cases' definitions, see the bottom of the file


# ------------------------------------------------------------- comparing
def value(res, got, field):
    """One field of an answer: status, body, h:NAME (the response's field
    values: None, a string, or a list when repeated), s:NAME / s:line (what
    the origin got for this request), closed."""
    if field == "closed":
        return bool(res.get("closed"))
    if res.get("closed"):
        return "(closed)"
    if field == "status":
        return res["status"]
    if field == "body":
        return res["body"]
    if field.startswith("h:"):
        v = [b for a, b in res["fields"] if a == field[2:]]
    else:
        if not got:
            return "(origin got nothing)"
        g = got[-1]
        if field == "s:line":
            return g["line"]
        v = [b for a, b in g["fields"] if a == field[2:]]
    return None if not v else v[0] if len(v) == 1 else v


def matches(want, have):
    if isinstance(want, str) and want.startswith("~"):
        return isinstance(have, str) and re.search(want[1:], have) is not None
    return want == have


LOG_NORM = [
    (r"^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+\[\d+\]: ", ""),  # syslog header
    (r"^<\d+>\S+ \S+ \S+ \d+ - - ", ""),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
    (r"\"dport\":\"\d+\"", "\"dport\":\"PORT\""),
    (r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]", "[DATE]"),
    (r" -?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+ ", " TIMERS "),
    (r" -?\d+/-?\d+/-?\d+ ", " TIMERS "),
]


def norm_log(line):
    line = line.rstrip("\n")
    for a, b in LOG_NORM:
        line = re.sub(a, b, line)
    return line


def run_one(c, kind, origins):
    """Run case c on one daemon: returns (outcome, per-request results,
    log lines); outcome is None when it ran, else why it did not."""
    names = {"dir": T}
    for p in c["ports"]:
        names[p] = free_port()
    for n, o in origins.items():
        names[n] = "127.0.0.1:%d" % o.port
    sl = Syslog() if c["log"] else None
    names["log"] = sl.port if sl else 9
    path = os.path.join(T, "%s.%s.cfg" % (c["name"].replace("/", "_"), kind))
    with open(path, "w") as f:
        f.write(fill(c["cfg"], names))
    d = Daemon(kind, path, T, LBD)
    rc, out = d.check()
    if rc not in (0, 2):
        return ("refused", first_error(out)), None, None
    if not d.start([names[p] for p in c["ports"]]):
        out = d.output()
        d.stop()
        return ("no start", first_error(out)), None, None
    results = []
    try:
        for o in origins.values():
            o.take()
        def collect():
            got = []
            for o in origins.values():
                got += [dict(g, origin=o.name) for g in o.take()]
            return got

        for port, reqs in c["conns"]:
            try:
                rs = send(names[port], reqs, collect)
            except OSError as e:
                rs = [{"closed": True, "error": str(e), "got": collect()}]
            rs += [{"closed": True, "got": []}] * (len(reqs) - len(rs))
            results += [(r, r["got"]) for r in rs]
        logs = [norm_log(ln) for ln in wait_logs(sl, 1)] if sl else None
    finally:
        d.stop()
    return None, results, logs


def compare(c, ha, lb):
    """Differences between HAProxy's and lbd's results, on the fields the
    case names; [] when the same."""
    diffs = []
    reqs = [r for _, rs in c["conns"] for r in rs]
    for i, r in enumerate(reqs):
        fields = list(r["want"]) + [f for f in c["show"] if f not in r["want"]]
        for f in fields:
            a, b = value(*ha[0][i], f), value(*lb[0][i], f)
            if a != b:
                diffs.append("%s %s: haproxy %s, lbd %s" % (r["url"], f, json.dumps(a), json.dumps(b)))
    if c["log"] and ha[1] != lb[1]:
        diffs.append("log: haproxy %s, lbd %s" % (json.dumps(ha[1]), json.dumps(lb[1])))
    return diffs


def restates(c, ha):
    """What HAProxy does against what the case wants (the case restates the
    reg-test); [] when it matches."""
    bad = []
    reqs = [r for _, rs in c["conns"] for r in rs]
    for i, r in enumerate(reqs):
        for f, w in r["want"].items():
            v = value(*ha[0][i], f)
            if not matches(w, v):
                bad.append("%s %s: want %s, haproxy gave %s" % (r["url"], f, json.dumps(w), json.dumps(v)))
    for w in c["want_log"]:
        if not any(re.search(w, ln) for ln in ha[1] or []):
            bad.append("no haproxy log line matches %s in %s" % (w, json.dumps(ha[1])))
    return bad


def run_case(c):
    origins = {}
    for name, reply, kw in c["origins"]:
        origins[name] = Origin(name, reply, **kw)
    why, res, logs = run_one(c, "haproxy", origins)
    if why:
        return "broken", ["HAProxy %s: %s" % why]
    ha = (res, logs)
    bad = restates(c, ha)
    if bad:
        return "broken", bad
    why, res, logs = run_one(c, "lbd", origins)
    if why:
        return why[0], [why[1]]
    d = compare(c, ha, (res, logs))
    return ("same", []) if not d else ("differs", d)


# ------------------------------------------------------------ the verdict
# Every case's outcome on lbd, compared exactly (see the top of the file).
SAME = """
http-rules/http_return
http-rules/del_header
http-rules/map_redirect
http-rules/h00003
http-rules/path_and_pathq
http-rules/default_rules
http-rules/h00000
http-rules/ifnone-forwardfor
http-rules/except-forwardfor-originalto
http-rules/converters_ipmask_concat_strcmp_field_word
http-rules/b00000
converter/field
converter/word
converter/url_dec
sample_fetches/cook
stick-table/src_conn_rate
balance/balance-rr
balance/balance-uri
balance/balance-uri-path-only
checks/http-monitor-uri
http-errorfiles/errorfiles
http-errorfiles/http_errors
http-errorfiles/http-error
http-errorfiles/http_deny_errors
log/wrong_ip_port_logging
connection/http_reuse_never
connection/http_reuse_safe
connection/http_reuse_aggressive
connection/http_reuse_always
sample_fetches/srv_name
http-rules/http_auth
""".split()
DIFFERS = """
http-rules/http_after_response
http-cookies/cookie_insert_indirect
http-capture/multiple_headers
""".split()
REFUSED = """
sample_fetches/vars
""".split()
for n in SAME:
    EXPECT[n] = "same"
for n in DIFFERS:
    EXPECT[n] = "differs"
for n in REFUSED:
    EXPECT[n] = "refused"


def main():
    failed = 0
    counts = {}
    for c in CASES:
        if ONLY and not any(s in c["name"] for s in ONLY):
            continue
        t0 = time.time()
        outcome, detail = run_case(c)
        counts[outcome] = counts.get(outcome, 0) + 1
        want = EXPECT.get(c["name"], "(not listed)")
        mark = "ok  " if outcome == want else "FAIL"
        if outcome != want:
            failed += 1
        print("%s %-55s %-8s (expected %s) %.1fs" % (mark, c["name"], outcome, want, time.time() - t0))
        for ln in detail[:6]:
            print("       " + ln[:400])
    print("reg-tests: %d cases; %s" % (sum(counts.values()),
                                     ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
