#!/usr/bin/env bash
# %bi %bp in log formats (issue 11 group 4): the source address and port
# of the server connection, mode http and tcp. The origin answers with the
# port it saw the connection come from; each log line's %bp must be that
# port and %bi the address, and HAProxy 2.6 writes the same lines with the
# ports masked ('-' where no server was connected). No root.
source "$(dirname "$0")/../lib.sh"

PB=$(free_port)
bg python3 -c '
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = str(self.client_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$PB"
config() { # HTTP-PORT TCP-PORT
    cat <<CFG
global
    log stdout format raw local0
defaults
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    mode http
    bind 127.0.0.1:$1
    log-format "http bi=%bi bp=%bp q=%{+Q}bi %ST"
    http-request return status 204 if { path /local }
    default_backend be
listen tcp
    mode tcp
    bind 127.0.0.1:$2
    log-format "tcp bi=%bi bp=%bp"
    server s1 127.0.0.1:$PB
backend be
    mode http
    server s1 127.0.0.1:$PB
CFG
}
PL=$(free_port); PL2=$(free_port); PH=$(free_port); PH2=$(free_port)
config "$PL" "$PL2" > "$T/lbd.cfg"; config "$PH" "$PH2" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PL2" "$PH" "$PH2"
for p in "$PL $PL2" "$PH $PH2"; do
    set -- $p
    curl -s "http://127.0.0.1:$1/a" > "$T/seen.$1"
    curl -s -o /dev/null "http://127.0.0.1:$1/local"
    curl -s "http://127.0.0.1:$2/b" > "$T/seen.$2"
done
sleep 0.7
seen_h=$(cat "$T/seen.$PL"); seen_t=$(cat "$T/seen.$PL2")
a=$(grep -hE '^(http|tcp) ' "$T/lbd.log"); b=$(grep -hE '^(http|tcp) ' "$T/ha.log")
echo "$a"
check "mode http: %bp is the port the server saw ($seen_h)" grep -qx "http bi=127.0.0.1 bp=$seen_h q=\"127.0.0.1\" 200" <<< "$a"
check "mode tcp: %bp is the port the server saw ($seen_t)" grep -qx "tcp bi=127.0.0.1 bp=$seen_t" <<< "$a"
mask() { sed -E 's/bp=[0-9]+/bp=PORT/' | sort; }
expect_eq "the lines as HAProxy's (ports masked)" "$(mask <<< "$a")" "$(mask <<< "$b")"
finish
