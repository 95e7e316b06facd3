#!/usr/bin/env bash
# send-proxy / send-proxy-v2 (issue 11): the PROXY protocol header lbd
# writes first on each server connection, side by side with HAProxy 2.6 on
# the same config: mode tcp over IPv4 (v1) and IPv6 (v2), mode http (v2
# from default-server, two requests on one client connection), and
# no-send-proxy undoing default-server. Clients use fixed source ports so
# the headers compare field by field; each server side records the bytes
# it got (ppcap.py). Also: 'check' with send-proxy and no check port is
# accepted (the checks send the header too: integration.check_send_proxy),
# and galera-check with it is refused. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

six=1
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null || six=0

# conf NAME: the config with NAME's ports (frontends F1..F4, servers S1..S4)
conf() {
    local n=$1
    cat <<CFG
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend t1
    bind 127.0.0.1:$(eval echo \$${n}_F1)
    default_backend b1
backend b1
    server s 127.0.0.1:$(eval echo \$${n}_S1) send-proxy
frontend t2
    bind $( [ $six = 1 ] && echo "[::1]" || echo 127.0.0.1 ):$(eval echo \$${n}_F2)
    default_backend b2
backend b2
    server s 127.0.0.1:$(eval echo \$${n}_S2) send-proxy-v2
frontend h3
    mode http
    bind 127.0.0.1:$(eval echo \$${n}_F3)
    default_backend b3
backend b3
    mode http
    default-server send-proxy-v2
    server s 127.0.0.1:$(eval echo \$${n}_S3)
frontend t4
    bind 127.0.0.1:$(eval echo \$${n}_F4)
    default_backend b4
backend b4
    default-server send-proxy
    server s 127.0.0.1:$(eval echo \$${n}_S4) no-send-proxy
CFG
}
for n in L H; do
    for k in F1 F2 F3 F4 S1 S2 S3 S4 C1 C2 C3 C4; do eval "${n}_$k=$(free_port)"; done
    for k in 1 2 3 4; do
        mkdir -p "$T/$n$k"
        bg python3 "$D/ppcap.py" "$(eval echo \$${n}_S$k)" "$T/$n$k"
    done
done
conf L > "$T/lbd.cfg"
conf H > "$T/ha.cfg"
beside_haproxy "$L_F1" "$L_F2" "$L_F3" "$L_F4" "$H_F1" "$H_F2" "$H_F3" "$H_F4"
for n in L H; do for k in 1 2 3 4; do wait_listen "$(eval echo \$${n}_S$k)"; done; done

# decode FILE F C: the PROXY header of a recorded connection as text (v2
# fields named), its client and frontend ports written CPORT and FPORT,
# then the first line that followed it
decode() {
    python3 - "$1" "$2" "$3" <<'PY'
import socket, struct, sys
d = open(sys.argv[1], "rb").read()
fp, cp = sys.argv[2], sys.argv[3]
sig = b"\r\n\r\n\x00\r\nQUIT\n"
def ports(s):
    return s.replace(" " + cp + " ", " CPORT ").replace(" " + fp, " FPORT")
if d.startswith(sig):
    ver, fam, ln = d[12], d[13], struct.unpack("!H", d[14:16])[0]
    body, rest = d[16:16 + ln], d[16 + ln:]
    if fam == 0x11:
        a = [socket.inet_ntop(socket.AF_INET, body[i:i + 4]) for i in (0, 4)] + [str(p) for p in struct.unpack("!HH", body[8:12])]
    elif fam == 0x21:
        a = [socket.inet_ntop(socket.AF_INET6, body[i:i + 16]) for i in (0, 16)] + [str(p) for p in struct.unpack("!HH", body[32:36])]
    else:
        a = []
    print(ports("v2 ver/cmd=%#x fam=%#x len=%d %s" % (ver, fam, ln, " ".join(a))) + (" tlv=%s" % body[12 if fam == 0x11 else 36:].hex() if ln > (12 if fam == 0x11 else 36) else ""))
elif d.startswith(b"PROXY "):
    line, _, rest = d.partition(b"\r\n")
    print(ports(line.decode() + " "))
else:
    rest = d
    print("no header")
print(rest.split(b"\r\n")[0].split(b"\n")[0].decode(errors="replace"))
PY
}
tcp_client() { # PORT HOST SPORT
    printf 'hello\n' | timeout 5 socat -t 1 - "TCP:$2:$1,sourceport=$3,reuseaddr" > /dev/null 2>&1 || true
}
host2=127.0.0.1; [ $six = 1 ] && host2="[::1]"
for n in L H; do
    tcp_client "$(eval echo \$${n}_F1)" 127.0.0.1 "$(eval echo \$${n}_C1)"
    tcp_client "$(eval echo \$${n}_F2)" "$host2" "$(eval echo \$${n}_C2)"
    curl -s --max-time 5 --local-port "$(eval echo \$${n}_C3)" -o /dev/null -w '%{http_code} ' \
        "http://127.0.0.1:$(eval echo \$${n}_F3)/a" -o /dev/null "http://127.0.0.1:$(eval echo \$${n}_F3)/b" > "$T/curl.$n" 2>&1 || true
    tcp_client "$(eval echo \$${n}_F4)" 127.0.0.1 "$(eval echo \$${n}_C4)"
done
for n in L H; do for k in 1 2 3 4; do wait_file "$T/$n$k/conn-1"; done; done
sleep 0.3

out() { decode "$T/$1$2/conn-1" "$(eval echo \$${1}_F$2)" "$(eval echo \$${1}_C$2)" | xargs; }
for k in 1 2 3 4; do echo "case $k: lbd: $(out L $k) | HAProxy: $(out H $k)"; done
expect_eq "tcp send-proxy: v1 line, as HAProxy" "$(out L 1)" "$(out H 1)"
expect_eq "tcp send-proxy: the client's addresses" "$(out L 1)" "PROXY TCP4 127.0.0.1 127.0.0.1 CPORT FPORT hello"
expect_eq "tcp send-proxy-v2, as HAProxy" "$(out L 2)" "$(out H 2)"
if [ $six = 1 ]; then
    expect_eq "tcp send-proxy-v2 over IPv6: TCP6" "$(out L 2)" "v2 ver/cmd=0x21 fam=0x21 len=36 ::1 ::1 CPORT FPORT hello"
else
    expect_eq "tcp send-proxy-v2: TCP4" "$(out L 2)" "v2 ver/cmd=0x21 fam=0x11 len=12 127.0.0.1 127.0.0.1 CPORT FPORT hello"
fi
expect_eq "http, default-server send-proxy-v2, as HAProxy" "$(out L 3)" "$(out H 3)"
expect_eq "http: the header, then the request" "$(out L 3)" "v2 ver/cmd=0x21 fam=0x11 len=12 127.0.0.1 127.0.0.1 CPORT FPORT GET /a HTTP/1.1"
expect_eq "http: both requests answered through lbd, as through HAProxy" "$(cat "$T/curl.L")" "$(cat "$T/curl.H")"
expect_eq "http: both answered 200" "$(cat "$T/curl.L")" "200 200 "
nconn() { find "$T/$1" -name 'conn-*' | wc -l; }
echo "http: server connections for 2 requests on one client connection: lbd $(nconn L3), HAProxy $(nconn H3)"
expect_eq "http: server connections for two requests on one client connection, as HAProxy" "$(nconn L3)" "$(nconn H3)"
# the connection carries this client's header: kept for its later requests
expect_eq "http: one server connection serves both requests" "$(nconn L3)" 1
hdrs=0
for f in "$T"/L3/conn-*; do head -c 12 "$f" | od -An -tx1 | tr -d ' \n' | lk_grepq -x 0d0a0d0a000d0a515549540a && hdrs=$((hdrs + 1)); done
expect_eq "http: every server connection begins with the v2 header" "$hdrs" "$(nconn L3)"
check "http: the second request reached the server" grep -q "GET /b" $(find "$T/L3" -name 'conn-*')
expect_eq "no-send-proxy undoes default-server's, as HAProxy" "$(out L 4)" "$(out H 4)"
expect_eq "no-send-proxy: no header" "$(out L 4)" "no header hello"

printf 'backend b\n  server s 127.0.0.1:1 check send-proxy\n' > "$T/chk.cfg"
out=$("$LBD" -c -f "$T/chk.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "check with send-proxy and no check port: accepted ($out)" "$rc" 0
printf 'backend b\n  galera-check user u\n  server s 127.0.0.1:1 check send-proxy\n' > "$T/bad.cfg"
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
check "galera-check with send-proxy: refused at the server's line ($out)" grep -q "bad.cfg:3: .*send-proxy" <<< "$out"
printf 'backend b\n  server s 127.0.0.1:1 check port 2 send-proxy\n' > "$T/ok.cfg"
out=$("$LBD" -c -f "$T/ok.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "check port N with send-proxy: accepted ($out)" "$rc" 0
finish
