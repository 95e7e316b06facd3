#!/usr/bin/env bash
# tcp-response and server-sent stickiness in mode tcp (issue 11 group 3),
# lbd and HAProxy 2.6 side by side on one config:
#  - the OpenShift SNI pass-through pattern (corpus file 34): SNI routing,
#    a "type binary len 32" table, "stick on payload_lv(43,1)" on the
#    ClientHello's session id and "stick store-response payload_lv(43,1)"
#    on the ServerHello's, so a resumed TLS 1.2 session comes back to the
#    server that holds it although roundrobin would pick the other one
#    (balance roundrobin here, not the file's "source", which would hide
#    the stickiness behind one client address);
#  - table_cnt(TABLE) in a tcp-request rule;
#  - tcp-response inspect-delay and content reject / close / accept on
#    res.payload and res.len, including a rule that must wait for bytes
#    the server sends 300 ms later.
# The TLS servers are Python's ssl module (TLS 1.2, session ids, no
# tickets); lbd only passes the bytes through. No root.
source "$(dirname "$0")/../lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=lbkit-test -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
cat > "$T/tlssrv.py" <<'PY'
import pysrv, ssl, sys
name, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.options |= ssl.OP_NO_TICKET          # resumption by session id only
ctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
def serve(c, peer):
    c.settimeout(3)
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.sendall((name + "\n").encode()); t.recv(10)
        t.unwrap()  # a clean TLS close: OpenSSL keeps the session resumable
        c.close()
    except (OSError, ssl.SSLError):
        c.close()
pysrv.serve(pysrv.tcp(port), serve)
pysrv.forever()
PY
cat > "$T/plain.py" <<'PY'
import pysrv, sys, time
script = {b"no": [b"NO thanks\n"], b"bye": [b"BYE now\n", None], b"slowbad": [b"BAD", 0.3, b"BY\n"],
          b"slowok": [b"GO", 0.3, b"OD\n"], b"ok": [b"OK fine\n"]}
def serve(c, peer):
    c.settimeout(4)
    try:
        for step in script.get(c.recv(100).strip(), [b"?\n"]):
            if step is None:     # keep the connection open: only "close" ends it early
                c.recv(100)
            elif isinstance(step, float):
                time.sleep(step)
            else:
                c.sendall(step)
    except OSError:
        pass
    c.close()
pysrv.serve(pysrv.tcp(sys.argv[1]), serve)
pysrv.forever()
PY
PM1=$(free_port); PM2=$(free_port); PR1=$(free_port); PR2=$(free_port); PP=$(free_port)
bg python3 "$T/tlssrv.py" m1 "$PM1" "$T"
bg python3 "$T/tlssrv.py" m2 "$PM2" "$T"
bg python3 "$T/tlssrv.py" r1 "$PR1" "$T"
bg python3 "$T/tlssrv.py" r2 "$PR2" "$T"
bg python3 "$T/plain.py" "$PP"

tlsbe() { # NAME S1 PORT1 S2 PORT2 [EXTRA LINE]
    cat <<CFG
backend $1
    ${6:-}
    balance roundrobin
    stick-table type binary len 32 size 20k expire 20m
    acl client_hello req_ssl_hello_type 1
    acl server_hello rep_ssl_hello_type 2
    tcp-request inspect-delay 4s
    tcp-request content accept if client_hello
    tcp-response content accept if server_hello
    stick on payload_lv(43,1) if client_hello
    stick store-response payload_lv(43,1) if server_hello
    server $2 127.0.0.1:$3
    server $4 127.0.0.1:$5
CFG
}
config() { # TAG PORT_TLS PORT_GATE PORT_RSP
    cat <<CFG
global
    stats socket $T/$1.sock level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend tls_in
    bind 127.0.0.1:$2
    tcp-request inspect-delay 4s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend ocp_api if { req.ssl_sni -i api.lab.example.test }
    use_backend ocp_router if { req.ssl_sni -m sub -i apps.lab.example.test }
frontend gate
    bind 127.0.0.1:$3
    tcp-request content reject if { table_cnt(ocp_api) gt 0 }
    default_backend rsp
listen rsp
    bind 127.0.0.1:$4
    tcp-response inspect-delay 2s
    tcp-response content reject if { res.payload(0,2) -m bin 4e4f }
    tcp-response content reject if { res.payload(0,5) -m bin 4241444259 }
    tcp-response content close if { res.payload(0,3) -m bin 425945 }
    tcp-response content accept if { res.len ge 5 }
    tcp-response content reject if { res.payload(0,2) -m bin 4f4b }
    server p 127.0.0.1:$PP
$(tlsbe ocp_api m1 "$PM1" m2 "$PM2")
$(tlsbe ocp_router r1 "$PR1" r2 "$PR2" "tcp-response inspect-delay 2s")
CFG
}
LT=$(free_port); LG=$(free_port); LR=$(free_port)
HT=$(free_port); HG=$(free_port); HR=$(free_port)
config lbd "$LT" "$LG" "$LR" > "$T/lbd.cfg"; config ha "$HT" "$HG" "$HR" > "$T/ha.cfg"
beside_haproxy "$PM1" "$PM2" "$PR1" "$PR2" "$PP" "$LT" "$LG" "$LR" "$HT" "$HG" "$HR"

# tls.py PORT SNI STEPS: each step "new" (a fresh session) or "resumeN"
# (the session of step N); prints "SERVER reused|new" per step.
cat > "$T/tls.py" <<'PY'
import socket, ssl, sys
port, sni, steps = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sess, out = [], []
for st in steps:
    s = socket.create_connection(("127.0.0.1", port), timeout=4)
    prev = sess[int(st[6:])] if st.startswith("resume") else None
    try:
        t = ctx.wrap_socket(s, server_hostname=sni, session=prev)
        name = t.recv(100).decode().strip()
        out.append("%s %s" % (name, "reused" if t.session_reused else "new"))
        sess.append(t.session); t.sendall(b"x")
        try:
            t.unwrap()
        except (OSError, ssl.SSLError):
            pass
        t.close()
    except (OSError, ssl.SSLError) as e:
        out.append("failed"); sess.append(None)
print(" / ".join(out))
PY
cat > "$T/plain_cli.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
s.sendall(sys.argv[2].encode() + b"\n")
t0, data = time.time(), b""
try:
    while True:
        d = s.recv(100)
        if not d:
            break
        data += d
    end = "eof"
except ConnectionResetError:
    end = "reset"
except socket.timeout:
    end = "timeout"
print("%r %s%s" % (data, end, " fast" if time.time() - t0 < 2 else ""))
PY
gate() { python3 "$T/plain_cli.py" "$1" ok; }
expect_eq "table_cnt(ocp_api) 0: the gate lets through" "$(gate "$LG")" "b'OK fine\\n' eof fast"
expect_eq "gate as HAProxy before" "$(gate "$LG")" "$(gate "$HG")"

steps="new resume0 new resume2 resume0 resume1"
for sni in api.lab.example.test x.apps.lab.example.test; do
    a=$(python3 "$T/tls.py" "$LT" "$sni" $steps); b=$(python3 "$T/tls.py" "$HT" "$sni" $steps)
    expect_eq "$sni: lbd '$a' as HAProxy" "$a" "$b"
done
# show table: entries per table and key size, as HAProxy (the keys are the
# servers' random session ids)
tables() { echo "show table $2" | socat - "$1" | sed -nE 's/^0x[0-9a-f]+: key=([0-9A-F]*) use=0 exp=[0-9]+ server_id=([0-9]+).*/len=\1 id=\2/p' |
    awk '{ sub(/len=/, ""); print length($1) " " $2 }' | sort | uniq -c | tr -s ' '; }
for t in ocp_api ocp_router; do
    a=$(tables "$T/lbd.sock" $t); b=$(tables "$T/ha.sock" $t)
    expect_eq "show table $t: lbd '$a' as HAProxy" "$a" "$b"
done
# ocp_api is the corpus file's backend: no tcp-response inspect-delay, so
# HAProxy runs the response rules once at connect, on no bytes, and
# store-response never learns a session id (roundrobin wins); ocp_router
# has the delay, and a resumed session comes back to its server.
a=$(python3 "$T/tls.py" "$LT" api.lab.example.test new resume0)
check "no tcp-response inspect-delay: store-response sees nothing, as HAProxy ($a)" \
    grep -qxE "m1 new / m2 new|m2 new / m1 new" <<<"$a"
a=$(python3 "$T/tls.py" "$LT" a.apps.lab.example.test new resume0 new resume2 resume0)
check "resumed sessions come back to their server (store-response, then stick on): $a" \
    grep -qxE "(r[12]) new / \1 reused / (r[12]) new / \2 reused / \1 reused" <<<"$a"
check "... and the two fresh sessions went to both servers" \
    grep -qxE "r1 new .* r2 new .*|r2 new .* r1 new .*" <<<"$a"

check "show table ocp_router holds 64-hex-digit keys" grep -q "64 id=1" <<<"$(tables "$T/lbd.sock" ocp_router)"
expect_eq "table_cnt(ocp_api) > 0: the gate rejects" "$(gate "$LG")" "b'' eof fast"
expect_eq "gate as HAProxy after" "$(gate "$LG")" "$(gate "$HG")"

for w in no bye slowbad slowok ok; do
    a=$(python3 "$T/plain_cli.py" "$LR" $w); b=$(python3 "$T/plain_cli.py" "$HR" $w)
    expect_eq "tcp-response '$w': lbd $a as HAProxy" "$a" "$b"
done
expect_eq "reject: nothing of the response reaches the client" "$(python3 "$T/plain_cli.py" "$LR" no)" "b'' eof fast"
expect_eq "close: what came is forwarded, then the end" "$(python3 "$T/plain_cli.py" "$LR" bye)" \
    "b'BYE now\\n' eof fast"
expect_eq "a rule waits within inspect-delay for bytes to come" \
    "$(python3 "$T/plain_cli.py" "$LR" slowbad)" "b'' eof fast"
expect_eq "accept on res.len once 5 bytes came" "$(python3 "$T/plain_cli.py" "$LR" slowok)" "b'GOOD\\n' eof fast"
finish
