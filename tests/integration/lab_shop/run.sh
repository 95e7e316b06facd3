#!/usr/bin/env bash
# The lab's shop (deploy/lab/shop/shop.py, Flask from Debian) on two web
# servers sharing one database, behind the real lbd in mode http with
# round-robin: a user logs in, adds and deletes items while requests land
# on both servers; passwords are stored hashed; a user cannot delete
# another user's item; every form and the delete call need the CSRF token;
# the shop refuses to start without a secret.
source "$(dirname "$0")/../lib.sh"
SRC=${LK_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
SHOP=$SRC/deploy/lab/shop/shop.py
PYS=/usr/bin/python3
CLIENT="$PYS $(dirname "$0")/client.py"
if ! $PYS -c 'import flask_login, flask_wtf, flask_sqlalchemy' 2>/dev/null; then
  echo "FAIL - python3-flask-login, python3-flaskext.wtf, python3-flask-sqlalchemy missing (scripts/deps.sh)"
  exit 1
fi
export SHOP_SECRET="test-$$-$RANDOM$RANDOM" SHOP_SQLITE=$T/shop.db
$PYS "$SHOP" add-user ana@example.pt ana 'ana-pw-1'
$PYS "$SHOP" add-user rui@example.pt rui 'rui-pw-2'
W1=$(free_port); W2=$(free_port); P=$(free_port)
SHOP_NAME=web1 bg $PYS "$SHOP" serve 127.0.0.1 "$W1" > "$T/web1.log" 2>&1
SHOP_NAME=web2 bg $PYS "$SHOP" serve 127.0.0.1 "$W2" > "$T/web2.log" 2>&1
cat > "$T/lbd.cfg" <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend shop
    bind 127.0.0.1:$P
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /health
    server web1 127.0.0.1:$W1
    server web2 127.0.0.1:$W2
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_port 127.0.0.1 "$W1" 20; wait_port 127.0.0.1 "$W2" 20; wait_port 127.0.0.1 "$P"
URL=http://127.0.0.1:$P

pw=$($PYS -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select password from clientes where email='ana@example.pt'\").fetchone()[0])" "$T/shop.db")
check "passwords are stored hashed, not as typed" test "$pw" != 'ana-pw-1' -a "${#pw}" -gt 40
expect_eq "login without a CSRF token is refused" "$($CLIENT "$URL" ana@example.pt ana-pw-1 login-no-token)" '{"status": 400}'
check "a wrong password does not log in" grep -q '"logged_in": false' <<< "$($CLIENT "$URL" ana@example.pt wrong-pw login)"
check "the right one does" grep -q '"logged_in": true' <<< "$($CLIENT "$URL" ana@example.pt ana-pw-1 login)"

out=$($CLIENT "$URL" ana@example.pt ana-pw-1 check); echo "ana: $out"
field() { $PYS -c "import json,sys; print(json.dumps(json.loads(sys.argv[1])[sys.argv[2]]))" "$1" "$2"; }
expect_eq "ana logs in through lbd" "$(field "$out" logged_in)" true
expect_eq "items added (with the token)" "$(field "$out" after_add)" '["arroz", "leite"]'
expect_eq "own item deleted" "$(field "$out" delete)" 200
expect_eq "the cart shows what is left" "$(field "$out" after_delete)" '["leite"]'
expect_eq "the session held while requests went to both web servers" "$(field "$out" served_by)" '["web1", "web2"]'
ana_item=$($PYS -c "import json,sys; print(json.loads(sys.argv[1])['ids'][0])" "$out")

rui=$($CLIENT "$URL" rui@example.pt rui-pw-2 forge "$ana_item"); echo "rui: $rui"
expect_eq "adding without the CSRF token is refused" "$(field "$rui" add_no_token)" 400
expect_eq "deleting without the CSRF token is refused" "$(field "$rui" delete_no_token)" 400
expect_eq "deleting another user's item is refused (404)" "$(field "$rui" delete_other_users)" 404
left=$($PYS -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from compras where id_compras=?',(int(sys.argv[2]),)).fetchone()[0])" "$T/shop.db" "$ana_item")
expect_eq "ana's item is still in the database" "$left" 1

nosecret=$(env -u SHOP_SECRET $PYS "$SHOP" serve 127.0.0.1 "$(free_port)" 2>&1) && rc=0 || rc=$?
check "the shop refuses to start without SHOP_SECRET" test "$rc" -ne 0
check "and says why" grep -q SHOP_SECRET <<< "$nosecret"
check "lbd still alive" kill -0 "$LBDPID"
finish
