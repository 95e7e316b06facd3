#!/usr/bin/env bash
# Real-world configs (issue 11): every fixture in tests/fixtures/lbd/corpus/
# is modelled on a public haproxy.cfg (SOURCES.md names each one). Each goes
# through `haproxy -c` (Debian's 2.6) and `lbd -c`. Printed: how many HAProxy
# accepts, how many of those lbd accepts, lbd's first error per refused file
# and a ranked table of the keywords lbd refuses. Asserted:
#  - lbd accepts at least ACCEPT_FLOOR of the files HAProxy accepts (what
#    main accepted when the floor was last raised: a regression fails);
#  - every file HAProxy accepts is accepted by lbd or refused with exit 1
#    (no crash, no sanitizer report) and FILE:LINE on its first error,
#    except those in KNOWN_NO_LINE;
#  - lbd says "valid" to no file HAProxy refuses, except those in
#    KNOWN_LAX.
#  - every file HAProxy accepts that needs neither TLS nor Lua/SPOE (issue 11
#    leaves those for later) is accepted by lbd, except those in
#    KNOWN_PLAIN_REFUSED; files are sorted as scripts/cfg-yardstick.sh sorts
#    the real ones.
# The KNOWN_ lists are known bugs, compared exactly: a new one fails, and so
# does a fixed one until it is taken off the list.
# No root: both only read the files.
source "$(dirname "$0")/../lib.sh"

ACCEPT_FLOOR=50
# 'listen NAME ADDR' (HAProxy 2.6: "please use the 'bind' keyword")
KNOWN_LAX=""
# a file without proxies (Debian's stock one) is refused for the whole file
KNOWN_NO_LINE=""
# plain (no TLS, no Lua/SPOE) files HAProxy accepts and lbd refuses
KNOWN_PLAIN_REFUSED=""

CORPUS=${LK_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/fixtures/lbd/corpus
command -v haproxy >/dev/null || { echo "SKIP: haproxy not installed"; exit 77; }

# What the fixtures need on disk: error pages, Lua, maps, a test-only
# self-signed certificate made here (never committed). @DIR@ in a fixture
# stands for this directory.
mkdir -p "$T/certs" "$T/cfg"
cp -r "$CORPUS/errors" "$CORPUS/lua" "$CORPUS/maps" "$T/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=corpus.test -days 2 -keyout "$T/key.pem" -out "$T/crt.pem" 2>/dev/null
cat "$T/crt.pem" "$T/key.pem" > "$T/certs/site.pem"
# environment the ${VAR} fixtures read
export LBC_CERT=$T/certs/site.pem LBC_DOMAIN=corpus.test LBC_PORT=18999 LBC_BACKEND_HOST=127.0.0.1 LBC_MAXCONN=2000 LBC_STATS_USER=ops LBC_STATS_PASS=opspw

total=0 h_ok=0 l_ok=0 lax="" noline="" plain_ref=""
declare -A cat_h=() cat_l=()
# what a file uses beyond plain HTTP/TCP, comments left out (the yardstick's rule)
category() {
    local body
    body=$(sed 's/[[:space:]]#.*//; /^[[:space:]]*#/d' "$1")
    if grep -qE '(^|[[:space:]])(lua-load|lua-prepend-path|filter[[:space:]]+spoe)|lua\.' <<< "$body"; then
        echo lua
    elif grep -qE '(^|[[:space:]])(ssl|crt|check-ssl|ca-file|ssl-default-[a-z-]+|verify)([[:space:]]|$)' <<< "$body"; then
        echo tls
    else
        echo plain
    fi
}
: > "$T/errors.tsv"
for src in "$CORPUS"/*.cfg; do
    name=$(basename "$src" .cfg)
    cfg=$T/cfg/$name.cfg
    sed "s#@DIR@#$T#g" "$src" > "$cfg"
    total=$((total + 1))
    timeout 10 haproxy -c -f "$cfg" > "$T/h.out" 2>&1 && hrc=0 || hrc=$?
    # exit 2: "no error but will not start (no listener)": the file is valid
    [ "$hrc" -eq 2 ] && grep -q 'has no error' "$T/h.out" && hrc=0
    timeout 10 "$LBD" -c -f "$cfg" > "$T/l.out" 2>&1 && lrc=0 || lrc=$?
    if [ "$hrc" -ne 0 ]; then
        if [ "$lrc" -eq 0 ]; then
            lax="$lax $name"
            echo "LAX  $name: HAProxy refuses, lbd says valid; HAProxy: $(grep -m1 ALERT "$T/h.out")"
        fi
        continue
    fi
    h_ok=$((h_ok + 1))
    cat=$(category "$cfg")
    cat_h[$cat]=$((${cat_h[$cat]:-0} + 1))
    if [ "$lrc" -eq 0 ]; then
        l_ok=$((l_ok + 1))
        cat_l[$cat]=$((${cat_l[$cat]:-0} + 1))
        echo "OK   $name [$cat]"
        continue
    fi
    [ "$cat" = plain ] && plain_ref="$plain_ref $name"
    # errors are the lines lbd prints after "lbd: " (warnings carry a date)
    errs=$(sed -n '/^lbd: /,$p' "$T/l.out" | grep -v '^[0-9-]* [0-9:]* lbd\[' || true)
    first=$(head -n1 <<< "$errs")
    echo "REF  $name [$cat]: ${first#"lbd: $T/cfg/"}"
    if [ "$lrc" -ne 1 ] || grep -qE 'Sanitizer|runtime error' "$T/l.out"; then
        fail "$name: lbd -c exited $lrc (a crash is never a refusal)"
        sed -n 1,20p "$T/l.out"
    elif ! grep -qE "^lbd: $cfg:[0-9]+: " <<< "$first"; then
        noline="$noline $name"
        echo "     (no FILE:LINE)"
    fi
    while IFS= read -r e; do printf '%s\t%s\t%s\n' "$name" "$cfg" "$e"; done <<< "$errs" >> "$T/errors.tsv"
done

pct=$((h_ok ? 100 * l_ok / h_ok : 0))
echo
echo "corpus: $total files; HAProxy 2.6 accepts $h_ok; lbd accepts $l_ok of those ($pct %)"
for c in plain tls lua; do
    echo "  $c: HAProxy ${cat_h[$c]:-0}, lbd ${cat_l[$c]:-0}"
done
echo
echo "refused keywords (keyword: files):"
python3 "$(dirname "$0")/rank.py" < "$T/errors.tsv" | cut -f2 | sort | uniq -c | sort -k1,1nr -k2 |
    awk '{n=$1; $1=""; printf "  %3d %s\n", n, substr($0, 2)}'
echo

check "corpus holds at least 60 files ($total)" [ "$total" -ge 60 ]
check "lbd accepts at least $ACCEPT_FLOOR of HAProxy's $h_ok (got $l_ok)" [ "$l_ok" -ge "$ACCEPT_FLOOR" ]
words() { tr ' ' '\n' <<< "$1" | sed '/^$/d' | sort | xargs; }
expect_eq "files lbd accepts although HAProxy refuses them (known: ${KNOWN_LAX:-none})" \
    "$(words "$lax")" "$(words "$KNOWN_LAX")"
expect_eq "plain files HAProxy accepts and lbd refuses (known: ${KNOWN_PLAIN_REFUSED:-none})" \
    "$(words "$plain_ref")" "$(words "$KNOWN_PLAIN_REFUSED")"
check "plain files: at least 40 compared (${cat_h[plain]:-0})" [ "${cat_h[plain]:-0}" -ge 40 ]
expect_eq "refusals without FILE:LINE (known: ${KNOWN_NO_LINE:-none})" \
    "$(words "$noline")" "$(words "$KNOWN_NO_LINE")"
finish
