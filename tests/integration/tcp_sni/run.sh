#!/usr/bin/env bash
# SNI pass-through routing in mode tcp (issue 11 group 3): tcp-request
# inspect-delay, tcp-request content accept if { req_ssl_hello_type 1 },
# use_backend on req.ssl_sni, and a payload rule (req.payload/req.len), lbd
# and HAProxy 2.6 side by side. The client sends a real ClientHello
# (Python's ssl module, never completed); each backend answers with its
# name and whether it got the hello intact. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PA=$(free_port); PB=$(free_port); PC=$(free_port)
cat > "$T/named.py" <<'PY'
import socket, sys, threading
name, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(16)
def serve(c):
    c.settimeout(3)
    try:
        d = c.recv(65536)
        ok = "tls" if d[:1] == b"\x16" else "plain"
        c.sendall(("%s %s %d\n" % (name, ok, len(d))).encode())
    except OSError:
        pass
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
bg python3 "$T/named.py" shop "$PA"
bg python3 "$T/named.py" api "$PB"
bg python3 "$T/named.py" other "$PC"
config() { # PORT
    cat <<CFG
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend tls_in
    bind 127.0.0.1:$1
    tcp-request inspect-delay 2s
    tcp-request content reject if { req.payload(0,4) -m bin 47455420 }
    tcp-request content accept if { req_ssl_hello_type 1 }
    tcp-request content accept if { req.len gt 0 }
    use_backend be_shop if { req.ssl_sni -i shop.example }
    use_backend be_api if { req.ssl_sni -m end .api.example }
    default_backend be_other
backend be_shop
    server s 127.0.0.1:$PA
backend be_api
    server s 127.0.0.1:$PB
backend be_other
    server s 127.0.0.1:$PC
CFG
}
PL=$(free_port); PH=$(free_port)
config "$PL" > "$T/lbd.cfg"; config "$PH" > "$T/ha.cfg"
beside_haproxy "$PA" "$PB" "$PC" "$PL" "$PH"

cat > "$T/client.py" <<'PY'
import socket, ssl, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
if what.startswith("tls:"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    name = what[4:] or None
    obj = ctx.wrap_bio(inc, out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
elif what == "slow":
    data = None
else:
    data = what.encode()
s = socket.create_connection(("127.0.0.1", port), timeout=4)
if data is None:  # a ClientHello in two pieces, 300 ms apart
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="shop.example")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
    s.sendall(data[:7]); time.sleep(0.3); s.sendall(data[7:])
else:
    s.sendall(data)
try:
    r = s.recv(200).decode().split()
    print(" ".join(r[:2]) if r else "closed")
except OSError:
    print("closed")
PY
for c in "tls:shop.example" "tls:SHOP.example" "tls:x.api.example" "tls:nosuch.example" "tls:" \
    "hello plain" "GET / HTTP/1.0" slow; do
    a=$(python3 "$T/client.py" "$PL" "$c"); b=$(python3 "$T/client.py" "$PH" "$c")
    expect_eq "'$c': lbd '$a' as HAProxy" "$a" "$b"
done
expect_eq "SNI shop.example reaches be_shop with the hello intact" \
    "$(python3 "$T/client.py" "$PL" tls:shop.example)" "shop tls"
expect_eq "a ClientHello in two pieces is waited for" "$(python3 "$T/client.py" "$PL" slow)" "shop tls"
expect_eq "req.payload reject: an HTTP request is refused" "$(python3 "$T/client.py" "$PL" "GET / HTTP/1.0")" closed
finish
