#!/usr/bin/env bash
# Yardstick for issue 11: how many real haproxy.cfg files lbd takes.
#   scripts/cfg-yardstick.sh DIR [LBD]
# Runs `haproxy -c` (the installed 2.6) and `lbd -c` on every DIR/*.cfg and
# prints one line per file and a table: files HAProxy accepts, of those how
# many lbd accepts, split into TLS files (bind ssl/crt, check-ssl, ssl on a
# server), Lua/SPOE files (out of scope for now) and the rest; then lbd's
# refused keywords ranked by number of files (the rest only, then all).
# The files are others' text: keep DIR outside the repository.
#
# Docker and Kubernetes files name servers by hosts that resolve only on
# their network ("api1", "pgmaster"); both checkers resolve server addresses
# at check time, so such a file would measure the resolver, not the
# keywords. As root, the script re-runs itself in a private mount namespace
# where /etc/hosts also maps every server host that does not resolve here to
# 192.0.2.1 (TEST-NET-1; nothing is ever sent). Without root it runs as is.
set -u
DIR=${1:?usage: cfg-yardstick.sh DIR [LBD]}
HERE=$(cd "$(dirname "$0")/.." && pwd)
LBD=${2:-$HERE/build-rel/lbd/lbd}
[ -x "$LBD" ] || LBD=$HERE/build/lbd/lbd
command -v haproxy >/dev/null || { echo "haproxy not installed" >&2; exit 2; }
DIR=$(cd "$DIR" && pwd)

if [ "$(id -u)" = 0 ] && [ -z "${LK_YARD_NS:-}" ]; then
    hosts=$(mktemp)
    cat /etc/hosts > "$hosts"
    # the host part of each server/peer address that names a host
    awk '$1 == "server" || $1 == "peer" { print $3 }' "$DIR"/*.cfg |
        sed -E 's/^(ipv4@|ipv6@)//; s/:[^:]*$//' |
        grep -E '^[A-Za-z][A-Za-z0-9._-]*$' | sort -u |
        while read -r h; do
            getent hosts "$h" >/dev/null || printf '192.0.2.1 %s\n' "$h"
        done >> "$hosts"
    LK_YARD_NS=1 LK_YARD_HOSTS=$hosts exec unshare -m bash -c \
        'mount --bind "$LK_YARD_HOSTS" /etc/hosts && exec "$0" "$@"' "$0" "$@"
fi

T=$(mktemp -d)
trap 'rm -rf "$T" ${LK_YARD_HOSTS:+"$LK_YARD_HOSTS"}' EXIT
# stand-ins for referenced files that are not here (cfg-yardstick-stub.py)
S=$T/stub
mkdir -p "$S/certdir" "$T/cfg"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=yardstick.test -days 2 -keyout "$T/key.pem" -out "$S/ca.pem" 2>/dev/null
cat "$S/ca.pem" "$T/key.pem" > "$S/site.pem"
cp "$S/site.pem" "$S/certdir/site.pem"
echo "$S/site.pem" > "$S/crt-list.txt"
printf 'HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nstand-in\n' > "$S/error.http"
: > "$S/empty.lua"
: > "$S/empty.lst"
: > "$T/errors.tsv"
: > "$T/cats.tsv"
for orig in "$DIR"/*.cfg; do
    name=$(basename "$orig" .cfg)
    cfg=$T/cfg/$name.cfg
    python3 "$HERE/scripts/cfg-yardstick-stub.py" "$orig" "$cfg" "$S"
    timeout 10 haproxy -c -f "$cfg" > "$T/h.out" 2>&1 && hrc=0 || hrc=$?
    # exit 2 "has no error" (no listener, e.g. Debian's stock file) is valid
    [ "$hrc" -eq 2 ] && grep -q 'has no error' "$T/h.out" && hrc=0
    # what the file uses beyond plain HTTP/TCP (comments are not usage)
    body=$(sed 's/[[:space:]]#.*//; /^[[:space:]]*#/d' "$cfg")
    if grep -qE '(^|[[:space:]])(lua-load|lua-prepend-path|filter[[:space:]]+spoe)|lua\.' <<< "$body"; then
        cat=lua
    elif grep -qE '(^|[[:space:]])(ssl|crt|check-ssl|ca-file|ssl-default-[a-z-]+|verify)([[:space:]]|$)' <<< "$body"; then
        cat=tls
    else
        cat=plain
    fi
    if [ "$hrc" -ne 0 ]; then
        if grep -m1 ALERT "$T/h.out" | grep -qiE 'unable to (load|stat|open)|no such file|cannot open|failed to open'; then
            cat=needs-files
        else
            cat=haproxy-refuses
        fi
        # lbd must refuse it too: "valid" here is a file lbd misreads
        if timeout 10 "$LBD" -c -f "$cfg" > /dev/null 2>&1; then
            printf '%s\t%s\tlax\n' "$name" "$cat" >> "$T/cats.tsv"
            echo "LAX  $name: HAProxy refuses, lbd says valid: $(grep -m1 ALERT "$T/h.out" | cut -c1-160)"
            continue
        fi
        printf '%s\t%s\t-\n' "$name" "$cat" >> "$T/cats.tsv"
        echo "HREF $name [$cat]: $(grep -m1 ALERT "$T/h.out" | cut -c1-160)"
        continue
    fi
    timeout 10 "$LBD" -c -f "$cfg" > "$T/l.out" 2>&1 && lrc=0 || lrc=$?
    if [ "$lrc" -eq 0 ]; then
        printf '%s\t%s\tok\n' "$name" "$cat" >> "$T/cats.tsv"
        echo "OK   $name [$cat]"
        continue
    fi
    printf '%s\t%s\tref\n' "$name" "$cat" >> "$T/cats.tsv"
    # errors are lbd's lines after "lbd: " (warnings carry a date)
    errs=$(sed -n '/^lbd: /,$p' "$T/l.out" | grep -v '^[0-9-]* [0-9:]* lbd\[' || true)
    echo "REF  $name [$cat]: $(head -n1 <<< "$errs" | sed "s#^lbd: $T/cfg/##" | cut -c1-200)"
    while IFS= read -r e; do
        [ -n "$e" ] && printf '%s\t%s\t%s\n' "$name" "$cfg" "$e"
    done <<< "$errs" >> "$T/errors.tsv"
done

echo
awk -F'\t' '
    { n++; c[$2]++; if ($3 == "ok") ok[$2]++; if ($3 == "lax") ok_lax[$2]++ }
    END {
        h = 0; l = 0
        for (k in c) if (k != "needs-files" && k != "haproxy-refuses") { h += c[k]; l += ok[k] }
        printf "files: %d; HAProxy 2.6 refuses %d (%d of them for files they reference that are missing here)\n",
            n, c["needs-files"] + c["haproxy-refuses"], c["needs-files"]
        printf "HAProxy accepts %d; lbd accepts %d of them (%d %%)\n", h, l, h ? 100 * l / h : 0
        for (k in c) if (k == "needs-files" || k == "haproxy-refuses") lax += ok_lax[k]
        printf "files HAProxy refuses that lbd says valid: %d\n", lax
        split("plain tls lua", ks, " ")
        for (i = 1; i <= 3; i++) printf "  %-6s HAProxy %3d  lbd %3d\n", ks[i], c[ks[i]], ok[ks[i]]
    }' "$T/cats.tsv"
rank() {
    python3 "$HERE/tests/integration/cfg_corpus/rank.py" | cut -f2 | sort | uniq -c |
        sort -k1,1nr -k2 | awk '{n=$1; $1=""; printf "  %3d %s\n", n, substr($0, 2)}'
}
echo
echo "lbd's refusals in plain files (keyword: files):"
awk -F'\t' 'NR == FNR { if ($2 == "plain") p[$1] = 1; next } p[$1]' "$T/cats.tsv" "$T/errors.tsv" | rank
echo
echo "lbd's refusals in all files HAProxy accepts (keyword: files):"
rank < "$T/errors.tsv"
