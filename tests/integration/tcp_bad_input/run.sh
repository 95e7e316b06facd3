#!/usr/bin/env bash
# Bad input gets a clear error and a non-zero exit at start, and never a
# crash at run time: malformed and unreadable configs, a port in use,
# unreachable backends, every server disabled, garbage from clients.
source "$(dirname "$0")/../lib.sh"

PF=$(free_port); PDEAD=$(free_port)
printf 'frontend f\n    bind 127.0.0.1:%s\n    default_backend b\nbackend b\n    balanse roundrobin\n' "$PF" > "$T/bad.cfg"
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "malformed config: lbd -c exits 1" "$rc" 1
check "malformed config: message names FILE:LINE and keyword" grep -q "$T/bad.cfg:5: unknown keyword 'balanse' in 'backend' section; did you mean 'balance'?" <<< "$out"
out=$("$LBD" -f "$T/bad.cfg" -R "$T" 2>&1) && rc=0 || rc=$?
expect_eq "malformed config: lbd exits 1 at start" "$rc" 1

out=$("$LBD" -c -f "$T/missing.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "missing config: exit 1" "$rc" 1
check "missing config: message says so" grep -q "cannot read '$T/missing.cfg'" <<< "$out"
printf 'frontend f\n' > "$T/unreadable.cfg"; chmod 000 "$T/unreadable.cfg"
# root reads any file: the check runs as nobody then (a plain user already
# cannot read it)
if [ "$(id -u)" -eq 0 ]; then as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"; else as_user=; fi
out=$($as_user "$LBD" -c -f "$T/unreadable.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "unreadable config: exit 1" "$rc" 1
check "unreadable config: permission denied reported" grep -q "Permission denied" <<< "$out"

# a port already in use (by a plain listener without SO_REUSEPORT)
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$PF)); s.listen(); time.sleep(30)" & LK_PIDS+=($!); BUSY=$!
wait_port 127.0.0.1 "$PF"
cat > "$T/lbd.cfg" <<CFG
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:$PF
    default_backend b
backend b
    server dead1 127.0.0.1:$PDEAD
CFG
out=$(timeout 10 "$LBD" -f "$T/lbd.cfg" -R "$T" 2>&1) && rc=0 || rc=$?
expect_eq "port in use: lbd exits 1" "$rc" 1
check "port in use: message names the bind line and the error" grep -q "$T/lbd.cfg:7: frontend 'f': cannot bind 127.0.0.1:$PF: Address already in use" <<< "$out"
kill "$BUSY"; wait "$BUSY" 2>/dev/null || true

# unreachable backend: the client is closed cleanly, lbd keeps running
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_port 127.0.0.1 "$PF"
got=$(timeout 5 python3 -c "
import socket; s=socket.create_connection(('127.0.0.1',$PF)); s.settimeout(4)
try: print(len(s.recv(100)))
except ConnectionResetError: print('reset')")
expect_eq "unreachable backend: client gets a clean close" "$got" 0
check "unreachable backend: logged" grep -q "b/dead1 (127.0.0.1:$PDEAD): connect failed: Connection refused" "$T/lbd.log"
# a second admin on the same runtime dir is refused, the first is untouched
out=$(timeout 10 "$LBD" -f "$T/lbd.cfg" -R "$T" 2>&1) && rc=0 || rc=$?
expect_eq "second lbd on the same runtime dir exits 1" "$rc" 1
check "second lbd: says another lbd owns the socket" grep -q "another lbd is running there" <<< "$out"
# garbage and abrupt resets from clients do not hurt
for i in $(seq 1 50); do
  head -c 2000 /dev/urandom | timeout 2 socat -u - "TCP:127.0.0.1:$PF" 2>/dev/null || true
done
python3 - "$PF" <<'PY'
import socket, struct, sys
for i in range(100):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.send(b"x" * 100)
    s.close()  # RST
PY
check "lbd survives garbage and resets" kill -0 "$LBDPID"
echo "show health" | socat - "UNIX-CONNECT:$T/lbd.sock" > "$T/h.out"
check "health reports the dead backend" grep -q "health ok" "$T/h.out"
kill "$LBDPID"; wait "$LBDPID" || true

# every server disabled: connections are closed, health says why
sed -i "s/server dead1 127.0.0.1:$PDEAD/server s1 127.0.0.1:$PDEAD disabled\n    server s2 127.0.0.1:$PDEAD disabled/" "$T/lbd.cfg"
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd2.log" 2>&1; LBDPID=$!
wait_port 127.0.0.1 "$PF"
got=$(timeout 5 python3 -c "
import socket; s=socket.create_connection(('127.0.0.1',$PF)); s.settimeout(4); print(len(s.recv(100)))")
expect_eq "all servers disabled: clean close" "$got" 0
echo "show health" | socat - "UNIX-CONNECT:$T/lbd.sock" > "$T/h.out"
check "all servers disabled: health fails naming the backend" grep -q "health fail backend 'b' has no server available" "$T/h.out"
check "all servers disabled: no connect attempted" test "$(grep -c 'connect failed' "$T/lbd2.log" || true)" -eq 0
kill "$LBDPID"; wait "$LBDPID" || true
finish
