#!/usr/bin/env bash
# The http-check send and expect forms of HAProxy 2.6 that lbd runs, side by
# side with HAProxy on the same backends: each server must end UP or DOWN
# as HAProxy's does with the same check_status, and the request each sends
# (method, URI, version, headers given with hdr, body with its length) is
# recorded by the server and compared. "http-check disable-on-404": a 404
# (even against an expect rule) passes conditionally (L7OKC) and the
# server takes no new traffic (NOLB) while another one serves all of it,
# but requests with its persistence cookie still go to it.
source ../lib.sh
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }
W=$(free_port)
mkdir -p "$T/run" "$T/req"
cat > "$T/web.py" <<'PY'
# /ok: 200 "status: all good"; /bad: 503 "status: down"; /echo: 200 and the
# request body back. Every request is recorded as REQDIR/<side>.<n>, the
# side being the X-Side header the configs set.
import http.server, sys, itertools
reqdir, n = sys.argv[2], itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def handle_one(self):
        pass
    def do_any(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        side = self.headers.get("x-side", "unknown")
        with open("%s/%s.%d" % (reqdir, side, next(n)), "w") as f:
            f.write("%s %s %s\n" % (self.command, self.path, self.request_version))
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k.lower(), v))
            f.write("\n" + body.decode(errors="replace"))
        code, text = {"/ok": (200, b"status: all good"), "/bad": (503, b"status: down"),
                      "/echo": (200, body)}.get(self.path.split("?")[0], (404, b"no"))
        self.send_response(code); self.send_header("Content-Length", str(len(text)))
        self.end_headers(); self.wfile.write(text)
    do_GET = do_POST = do_PUT = do_OPTIONS = do_HEAD = do_any
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
bg python3 "$T/web.py" "$W" "$T/req"
wait_listen "$W"
# a second web server where /gone exists: the NOLB backend's healthy server
# is checked there (check port), its traffic goes to the first one
W2=$(free_port)
mkdir -p "$T/www2"
echo here > "$T/www2/gone"
(cd "$T/www2" && exec python3 -m http.server --bind 127.0.0.1 "$W2") >/dev/null 2>&1 &
LK_PIDS+=($!)
wait_listen "$W2"
backends() { # SIDE
cat <<CFG
backend rstring_ok
    option httpchk
    http-check send meth GET uri /ok ver HTTP/1.1 hdr Host www.example hdr X-Side $1
    http-check expect rstring ^status:\ (all\ )?good
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
backend rstring_bad
    option httpchk
    http-check send meth GET uri /bad?rb ver HTTP/1.1 hdr Host www.example hdr X-Side $1
    http-check expect rstring ^status:\ (all\ )?good
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
backend not_rstring
    option httpchk
    http-check comment "no error page"
    http-check send meth GET uri /bad?nr ver HTTP/1.1 hdr Host www.example hdr X-Side $1
    http-check expect comment "not an error" ! rstring [Ee]rror
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
backend body
    option httpchk
    http-check send meth POST uri /echo ver HTTP/1.1 hdr Host www.example hdr X-Side $1 body "ping body"
    http-check expect string "ping body"
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
backend status
    option httpchk GET /bad?st HTTP/1.0
    http-check send hdr X-Side $1
    http-check expect ! status 200-399
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
backend legacy
    # the pre-2.2 form many real files keep: headers after the version,
    # joined by escaped CR LF and escaped spaces
    option httpchk GET /ok?lg HTTP/1.1\\r\\nHost:\\ www.example\\r\\nX-Side:\\ $1
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1
listen gone
    bind 127.0.0.1:$2
    option httpchk GET /gone
    http-check disable-on-404
    http-check expect status 200
    cookie SRV insert indirect nocache
    server s 127.0.0.1:$W check inter 300 rise 1 fall 1 cookie s
    server t 127.0.0.1:$W check port $W2 inter 300 rise 1 fall 1 cookie t
CFG
}
head='defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s'
PH=$(free_port) PL=$(free_port)
printf 'global\n    stats socket %s level admin\n%s\n%s\n' "$T/ha.sock" "$head" "$(backends ha "$PH")" > "$T/ha.cfg"
printf 'global\n    checkd socket %s\n%s\n%s\n' "$T/run/checkd.sock" "$head" "$(backends lb "$PL")" > "$T/lbd.cfg"
check "haproxy -c accepts the file" haproxy -c -q -f "$T/ha.cfg"
check "lbd -c accepts the file" "$LBD" -c -f "$T/lbd.cfg"
start_pair
sleep 1.5
pair_snapshot
python3 - "$T/ha.csv" "$T/ck.json" > "$T/cmp.txt" <<'PY'
import sys
sys.path.insert(0, "..")
from pairstat import ha_servers, ck_targets, ha_state
ha, ck = ha_servers(sys.argv[1]), ck_targets(sys.argv[2])
for id, h in ha.items():
    c = ck.get(id, {})
    hs, st = h["check_status"].lstrip("* "), ha_state(h)
    # HAProxy's NOLB is checkd's DRAIN (up, no new traffic)
    st = "DRAIN" if h["status"].startswith("NOLB") else st
    print(id, hs, st, "|", c.get("result"), c.get("state"),
          "same" if (hs, st) == (c.get("result"), c.get("state")) else "DIFF")
PY
cat "$T/cmp.txt"
expect_eq "8 servers compared" "$(wc -l < "$T/cmp.txt")" 8
expect_eq "check_status and state as HAProxy's" "$(grep -c ' same$' "$T/cmp.txt")" 8
expect_eq "disable-on-404, a 404: L7OKC, no new traffic" "$(grep '^gone/s ' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7OKC DRAIN"
expect_eq "disable-on-404, a 200: L7OK UP" "$(grep '^gone/t ' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7OK UP"
stat_of() { # SOCK SERVER FIELD: a field of 'show stat' for gone/SERVER
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$1" |
    python3 -c 'import csv, sys
rows = list(csv.reader(sys.stdin)); h = [c.lstrip("# ") for c in rows[0]]
for r in rows[1:]:
    d = dict(zip(h, r))
    if d.get("pxname") == "gone" and d.get("svname") == sys.argv[1]:
        print(d[sys.argv[2]])' "$2" "$3"
}
expect_eq "lbd shows the 404 server as HAProxy does (NOLB)" "$(stat_of "$T/lbdrun/lbd.sock" s status)" \
  "$(stat_of "$T/ha.sock" s status | sed 's/^\* //')"
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PH/ok"
  curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PL/ok"
done
expect_eq "HAProxy: the NOLB server took no request" "$(stat_of "$T/ha.sock" s stot)" 0
expect_eq "lbd: the NOLB server took no request" "$(stat_of "$T/lbdrun/lbd.sock" s stot)" 0
expect_eq "HAProxy: the other one took all 6" "$(stat_of "$T/ha.sock" t stot)" 6
expect_eq "lbd: the other one took all 6" "$(stat_of "$T/lbdrun/lbd.sock" t stot)" 6
# its persistent clients still reach it (what a soft stop is for)
for i in 1 2 3; do
  curl -s -o /dev/null --max-time 3 -H 'Cookie: SRV=s' "http://127.0.0.1:$PH/ok"
  curl -s -o /dev/null --max-time 3 -H 'Cookie: SRV=s' "http://127.0.0.1:$PL/ok"
done
expect_eq "HAProxy: the NOLB server's cookie still takes its client there" "$(stat_of "$T/ha.sock" s stot)" 3
expect_eq "lbd: the same" "$(stat_of "$T/lbdrun/lbd.sock" s stot)" 3
expect_eq "legacy Host form: UP" "$(grep '^legacy/' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7OK UP"
expect_eq "rstring matched: UP" "$(grep '^rstring_ok/' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7OK UP"
expect_eq "rstring not matched: DOWN" "$(grep '^rstring_bad/' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7RSP DOWN"
expect_eq "POST body echoed: UP" "$(grep '^body/' "$T/cmp.txt" | cut -d' ' -f2,3)" "L7OK UP"

# the requests: request line, Host, X-Side-less headers HAProxy sets, body
req() { # SIDE PATH: the first recorded request of SIDE for PATH, normalised
  local f
  f=$(grep -lF "$2 HTTP/" "$T/req/$1".* 2>/dev/null | head -1)
  [ -n "$f" ] && grep -v -e '^x-side:' -e '^user-agent:' -e '^connection:' "$f"
}
for p in /ok /echo '/bad?rb' '/bad?nr' '/bad?st' '/ok?lg'; do
  expect_eq "request for $p: lbkit sends what HAProxy sends" "$(req lb $p)" "$(req ha $p)"
done
req ha /echo
finish
