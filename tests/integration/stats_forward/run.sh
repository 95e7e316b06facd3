#!/usr/bin/env bash
# The stats page in proxies that also forward (issue 11; HAProxy's reg-test
# http-rules/http_after_response has one, and 3 real files of the yardstick):
# "stats uri" in a listen section with servers, in a frontend with a
# default_backend and in a backend. HAProxy answers requests whose path
# starts with the URI from the page and forwards the rest; lbd hands such a
# request to its control thread, which owns the page. Side by side with
# HAProxy 2.6 on the same config: status, the CSV's header line, "stats
# auth", the rest forwarded, and a keep-alive connection that first
# forwards, then asks for the page. Before the hand-over lbd refused these
# files. No root.
source "$(dirname "$0")/../lib.sh"

cat > "$T/origin.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = b"origin " + self.path.encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PO=$(free_port)
bg python3 "$T/origin.py" "$PO" 2> "$T/origin.err"
wait_listen "$PO"

config() { # PORT_LISTEN PORT_FRONTEND PORT_BACKEND_FE
    cat <<CFG
global
    nbthread 2
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen web
    bind 127.0.0.1:$1
    stats enable
    stats uri /st
    stats auth ops:pw
    server o 127.0.0.1:$PO
frontend fe
    bind 127.0.0.1:$2
    stats enable
    stats uri /fst
    default_backend be_plain
frontend fe2
    bind 127.0.0.1:$3
    default_backend be_stats
backend be_plain
    server o 127.0.0.1:$PO
backend be_stats
    stats enable
    stats uri /bst
    server o 127.0.0.1:$PO
CFG
}
HL=$(free_port); HF=$(free_port); HB=$(free_port)
LL=$(free_port); LF=$(free_port); LB=$(free_port)
config "$HL" "$HF" "$HB" > "$T/ha.cfg"
config "$LL" "$LF" "$LB" > "$T/lbd.cfg"
beside_haproxy "$HL" "$HF" "$HB" "$LL" "$LF" "$LB"

# status, then the first line of the body (the CSV header or the origin's)
probe() { # URL [curl args]
    local url=$1
    shift
    curl -s -m 5 "$@" -o "$T/body" -w '%{http_code}' "$url" || true
    printf ' %s\n' "$(head -c 40 "$T/body" | head -n 1)"
}
for who in ha lbd; do
    if [ $who = ha ]; then L=$HL F=$HF B=$HB; else L=$LL F=$LF B=$LB; fi
    {
        probe "http://127.0.0.1:$L/st;csv"
        probe "http://127.0.0.1:$L/st;csv" -u ops:pw
        probe "http://127.0.0.1:$L/other"
        probe "http://127.0.0.1:$F/fst;csv"
        probe "http://127.0.0.1:$F/x"
        probe "http://127.0.0.1:$B/bst;csv"
        probe "http://127.0.0.1:$B/y"
        # one connection: forwarded, then the page
        curl -s -m 5 -o /dev/null -o "$T/body" -w '%{http_code} %{num_connects}\n' \
            "http://127.0.0.1:$F/a" "http://127.0.0.1:$F/fst;csv" | tr '\n' ' '
        printf '%s\n' "$(head -c 12 "$T/body")"
    } > "$T/$who.out"
done
echo "--- HAProxy"; cat "$T/ha.out"
echo "--- lbd"; cat "$T/lbd.out"
expect_eq "lbd answers as HAProxy" "$(cat "$T/lbd.out")" "$(cat "$T/ha.out")"
# and what HAProxy answers is the page (the comparison alone could pass on two wrong answers)
check "HAProxy: 401 without credentials, the CSV with them" \
    lk_grepq -Pzo '^401 [^\n]*\n200 # pxname,svname' "$T/ha.out"
expect_eq "lbd: the page from the listen, the frontend and the backend" \
    "$(grep -c '^200 # pxname,svname,' "$T/lbd.out")" 3
check "lbd: the rest reaches the server" lk_grepq -x '200 origin /other' "$T/lbd.out"
check "lbd: keep-alive, forwarded then the page on the same connection" \
    lk_grepq -E '^200 1 200 0 # pxname' "$T/lbd.out"
check "lbd still serves after the hand-overs" \
    bash -c "curl -sf -m 5 http://127.0.0.1:$LF/z | grep -qx 'origin /z'"
finish
