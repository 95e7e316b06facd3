# common.sh - helpers for lbd's mode http integration tests (sourced after
# ../lib.sh). Backends are real programs: nginx from Debian, Python's
# asyncio origin server (backend.py) and the Flask shop (flaskapp.py).
HTTP_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PY:-python3}
# Flask from Debian (python3-flask, python3-waitress) when the system
# interpreter has them, else whatever python3 is first in PATH.
# FLASK_SERVER=werkzeug forces the development server.
if [ "${FLASK_SERVER:-}" != werkzeug ] && /usr/bin/python3 -c 'import flask, waitress' 2>/dev/null
then
  FLASK_PY=/usr/bin/python3
  FLASK_SERVER=waitress
else
  FLASK_PY=$PY
  FLASK_SERVER=werkzeug
fi

# start_nginx PORT NAME [EXTRA_LOCATIONS]: an nginx answering "NAME\n" on
# /, serving $T/www/ under /files/, logging "$connection $request" to
# $T/nginx-NAME.log. Sets NGINX_PID. NGINX_ADDR (default 127.0.0.1) and
# NGINX_NS (a network namespace to run in) place it elsewhere.
start_nginx() {
  local port=$1 name=$2 dir=$T/nginx-$2
  mkdir -p "$dir" "$T/www"
  cat > "$dir/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  log_format conn '\$connection \$request';
  access_log $T/nginx-$name.log conn;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  client_max_body_size 0;
  server {
    listen ${NGINX_ADDR:-127.0.0.1}:$port;
    location / { return 200 "$name\n"; }
    location /files/ { alias $T/www/; }
  }
}
NGX
  bg ${NGINX_NS:+ip netns exec "$NGINX_NS"} nginx -c "$dir/nginx.conf" -p "$dir"
  NGINX_PID=$!
  if [ -z "${NGINX_NS:-}" ]; then wait_port 127.0.0.1 "$port"; return; fi
  local i
  for i in $(seq 1 200); do
    ip netns exec "$NGINX_NS" bash -c "exec 3<>/dev/tcp/$NGINX_ADDR/$port" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timeout waiting for nginx on $NGINX_ADDR:$port in $NGINX_NS" >&2; return 1
}

# start_backend PORT NAME: backend.py; request lines go to $T/reqlog.
start_backend() {
  bg "$PY" "$HTTP_TOOLS/backend.py" "$1" "$2" "$T/reqlog"
  BACKEND_PID=$!
  wait_port 127.0.0.1 "$1"
}

# start_lbd CFGFILE: runs lbd (stderr to $T/lbd.log), waits for its first
# bind. Sets LBD_PID.
start_lbd() {
  local port
  port=$(sed -n 's/^ *bind 127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -1)
  mkdir -p "$T/run"
  bg "$LBD" -f "$1" -R "$T/run" 2>>"$T/lbd.log"
  LBD_PID=$!
  wait_port 127.0.0.1 "$port"
}

# raw PORT [WAIT]: send stdin as is on a TCP connection, print what comes
# back (until the server closes, or WAIT s of silence, default 3).
raw() { "$PY" "$HTTP_TOOLS/raw.py" "$@"; }

# status_of: the status code of the first response on stdin.
status_of() { head -c 12 | cut -d' ' -f2; }
