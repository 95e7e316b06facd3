#!/usr/bin/env bash
# lbd -c on a file with several errors: it exits 1 and names every bad
# keyword at its own FILE:LINE (issues 9 and 10), as HAProxy does. No root:
# lbd only reads the file.
source "$(dirname "$0")/../lib.sh"

PF=$(free_port)
cat > "$T/bad.cfg" <<CFG
global
    maxconn 100
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:$PF
    acl worse nosuchfetch x
    http-request normalize-uri fragment-strip
    http-response bogus-action
    bogus_kw 1
    default_backend be
backend be
    server s1 127.0.0.1:99999
    server s2 127.0.0.1:0
    server s3 127.0.0.1:80
    balanse roundrobin
CFG
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "several errors: lbd -c exits 1" "$rc" 1
for want in \
    "$T/bad.cfg:10: frontend 'fe': unknown fetch method 'nosuchfetch'" \
    "$T/bad.cfg:11: frontend 'fe': http-request normalize-uri: action not supported by lbd" \
    "$T/bad.cfg:12: frontend 'fe': http-response bogus-action: action not supported by lbd" \
    "$T/bad.cfg:13: unknown keyword 'bogus_kw' in 'frontend' section" \
    "$T/bad.cfg:16: server 's1': invalid port '99999'" \
    "$T/bad.cfg:17: server 's2': invalid port '0'" \
    "$T/bad.cfg:19: unknown keyword 'balanse' in 'backend' section"; do
    check "listed: ${want#"$T/"}" grep -qF "$want" <<< "$out"
done
expect_eq "exactly 7 errors listed" "$(grep -c 'bad.cfg:' <<< "$out")" 7

# the same file with the errors removed passes
sed -e '/nosuchfetch/d' -e '/normalize-uri/d' -e '/bogus/d' -e '/99999/d' -e '/:0$/d' \
    -e 's/balanse/balance/' "$T/bad.cfg" > "$T/good.cfg"
out=$("$LBD" -c -f "$T/good.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "fixed file: lbd -c exits 0 ($out)" "$rc" 0

# environment variables, as HAProxy 2.6 expands them (issue 11): in double
# quotes (with ${VAR-default}), and ${VAR} in addresses even unquoted
cat > "$T/env.cfg" <<'CFG'
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:${LK_TEST_PORT}
    bind "127.0.0.1:${LK_TEST_UNSET-0}"
    default_backend be
backend be
    server s1 "${LK_TEST_ADDR-127.0.0.1}:80"
    server s2 127.0.0.1:${LK_TEST_PORT}
CFG
out=$(LK_TEST_PORT=$PF "$LBD" -c -f "$T/env.cfg" 2>&1) && rc=0 || rc=$?
check "\${VAR-default} with the default refused where it is invalid (port 0): $out" \
    grep -q "env.cfg:8:" <<< "$out"
sed -i 's/LK_TEST_UNSET-0/LK_TEST_UNSET-1/' "$T/env.cfg"
out=$(LK_TEST_PORT=$PF "$LBD" -c -f "$T/env.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "\${VAR} and \${VAR-default} expanded: lbd -c exits 0 ($out)" "$rc" 0
out=$(LK_TEST_PORT=$PF haproxy -c -f "$T/env.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy 2.6 accepts the same file ($out)" "$rc" 0
out=$(env -u LK_TEST_PORT "$LBD" -c -f "$T/env.cfg" 2>&1) && rc=0 || rc=$?
check "unset \${VAR}: the bind has no port, refused at its line ($out)" grep -q "env.cfg:7:" <<< "$out"

# HTTP/2 tuning knobs (a real file sets tune.h2.initial-window-size): lbd
# speaks HTTP/1.x only, so each is accepted with a warning at its line
# saying why, never silently, and HAProxy takes the same file
printf 'global\n    tune.h2.initial-window-size 1048576\n    tune.h2.max-concurrent-streams 50\nfrontend fe\n    mode http\n    bind 127.0.0.1:%s\n    http-request return status 200\n' \
    "$PF" > "$T/h2.cfg"
out=$("$LBD" -c -f "$T/h2.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "tune.h2.*: lbd -c accepts the file ($out)" "$rc" 0
check "tune.h2.initial-window-size: warned at its line with why" \
    grep -q "h2.cfg:2: 'tune.h2.initial-window-size' ignored: lbd speaks HTTP/1.x only" <<< "$out"
check "tune.h2.max-concurrent-streams: warned at its line" \
    grep -q "h2.cfg:3: 'tune.h2.max-concurrent-streams' ignored" <<< "$out"
check "HAProxy 2.6 accepts the same file" haproxy -c -q -f "$T/h2.cfg"

# httpclient.* (HAProxy's internal HTTP client, for Lua): lbd has none, so
# each is accepted with a warning at its line saying why, as tune.h2.*
printf 'global\n    httpclient.ssl.verify none\n    httpclient.ssl.ca-file /etc/ssl/certs/ca-certificates.crt\n    httpclient.resolvers.prefer ipv4\nfrontend fe\n    mode http\n    bind 127.0.0.1:%s\n    http-request return status 200\n' \
    "$PF" > "$T/hc.cfg"
out=$("$LBD" -c -f "$T/hc.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "httpclient.*: lbd -c accepts the file ($out)" "$rc" 0
check "httpclient.ssl.verify: warned at its line with why" \
    grep -q "hc.cfg:2: 'httpclient.ssl.verify' ignored: lbd has no internal HTTP client" <<< "$out"
check "httpclient.resolvers.prefer: warned at its line" \
    grep -q "hc.cfg:4: 'httpclient.resolvers.prefer' ignored" <<< "$out"
check "HAProxy 2.6 accepts the same file" haproxy -c -q -f "$T/hc.cfg"
finish
