#!/usr/bin/env bash
# HTTP checks against a real nginx (HTTP/1.1, keep-alive by default):
#  - expect string on the body, expect status, expect ! rstatus, HEAD with a
#    Host header: each verdict as nginx answers;
#  - a health file removed (nginx answers 404) takes the target DOWN with
#    L7STS 404 within inter x fall, put back it is UP within inter x rise;
#  - nginx stopped: L4CON.
source ../lib.sh
command -v nginx >/dev/null || { echo "SKIP: nginx not installed"; exit 77; }

P=$(free_port)
mkdir -p "$T/www" "$T/tmp" "$T/run"
chmod 755 "$T" "$T/www" # nginx workers run unprivileged
echo "hello-nginx" > "$T/www/index.html"
echo "ok" > "$T/www/health"
cat > "$T/nginx.conf" <<CFG
daemon off;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $T/tmp;
  proxy_temp_path $T/tmp;
  fastcgi_temp_path $T/tmp;
  uwsgi_temp_path $T/tmp;
  scgi_temp_path $T/tmp;
  server {
    listen 127.0.0.1:$P;
    root $T/www;
    location /boom { return 500 "boom\n"; }
  }
}
CFG
bg nginx -c "$T/nginx.conf" -p "$T"
NGINX_PID=$!
wait_port 127.0.0.1 "$P"

INTER=200 FALL=2 RISE=2
cat > "$T/checkd.cfg" <<CFG
spread-checks 0
target ngx/body 127.0.0.1:$P kind http method GET uri /index.html version HTTP/1.1 expect string hello-nginx inter 300
target ngx/nobody 127.0.0.1:$P kind http method GET uri /index.html version HTTP/1.1 expect string goodbye inter 300 fall 1
target ngx/head 127.0.0.1:$P kind http method HEAD uri / version HTTP/1.1 header "Host: shop.example" expect status 200 inter 300
target ngx/not5xx 127.0.0.1:$P kind http method GET uri /boom expect rstatus ^5 expect-not inter 300 fall 1
target ngx/health 127.0.0.1:$P kind http method GET uri /health version HTTP/1.1 expect status 200-299 inter $INTER fall $FALL rise $RISE
CFG
bg "$CHECKD" -f "$T/checkd.cfg" -R "$T/run" 2>"$T/checkd.log"
wait_sock "$T/run/checkd.sock"
cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" 2>/dev/null; }
field() {
  cksock "show health json" | python3 -c '
import json, sys
for t in json.loads(sys.stdin.readline())["targets"]:
    if t["id"] == sys.argv[1]:
        print(t[sys.argv[2]])' "$1" "$2"
}
wait_field() { # ID FIELD VALUE TIMEOUT_MS; prints the ms it took
  local start=$(date +%s%3N)
  until [ "$(field "$1" "$2")" = "$3" ]; do
    [ $(($(date +%s%3N) - start)) -gt "$4" ] && return 1
    sleep 0.02
  done
  echo $(($(date +%s%3N) - start))
}
q() { "$@" >/dev/null; }

check "expect string found -> UP" q wait_field ngx/body result L7OK 5000
check "expect string missing -> DOWN" q wait_field ngx/nobody state DOWN 5000
expect_eq "missing string is L7RSP" "$(field ngx/nobody result)" L7RSP
check "HEAD + Host, status 200 -> UP" q wait_field ngx/head result L7OK 5000
check "! rstatus ^5 on a 500 -> DOWN" q wait_field ngx/not5xx state DOWN 5000
expect_eq "500 reported as L7STS 500" "$(field ngx/not5xx result)/$(field ngx/not5xx code)" L7STS/500
check "health UP" q wait_field ngx/health state UP 5000
sleep 1 # settle the counter

# detection time from checkd's own change_time (wall clock, us), so the
# polling below does not count
t0=$(date +%s%6N)
rm "$T/www/health"
check "health file removed -> DOWN" q wait_field ngx/health state DOWN 5000
t=$((($(field ngx/health change_time) - t0) / 1000))
echo "# health file removed: DOWN after $t ms (inter x fall = $((INTER * FALL)) ms)"
check "404 -> DOWN within inter x (fall + 1) + 0.3 s" test "$t" -le $((INTER * (FALL + 1) + 300))
expect_eq "reported L7STS 404" "$(field ngx/health result)/$(field ngx/health code)" L7STS/404
t0=$(date +%s%6N)
echo ok > "$T/www/health"
check "health file back -> UP" q wait_field ngx/health state UP 5000
t=$((($(field ngx/health change_time) - t0) / 1000))
echo "# health file back: UP after $t ms (inter x rise = $((INTER * RISE)) ms)"
check "back UP within inter x (rise + 1) + 0.3 s" test "$t" -le $((INTER * (RISE + 1) + 300))

kill "$NGINX_PID"
check "nginx stopped -> L4CON" q wait_field ngx/health result L4CON 5000
check "no sanitizer report" test -z "$(grep -i -E 'sanitizer|runtime error' "$T/checkd.log" || true)"
finish
