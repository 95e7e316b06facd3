#!/usr/bin/env bash
# unix-bind, side by side with HAProxy 2.6: it sets the UNIX-socket "bind"
# lines of proxies (lbd has none: it refuses them), never "stats socket":
# with "unix-bind prefix DIR mode 0666 uid 0" both create their stats
# sockets at the path written, not under DIR, and neither with mode 0666
# (each has its own default: HAProxy the umask's, lbd 0600); lbd warns that unix-bind has no effect. An unknown option and an unknown
# user are refused by both.
source "$(dirname "$0")/../lib.sh"

PL=$(free_port); PH=$(free_port)
mkdir -p "$T/pfx"
ucfg() { # ucfg PORT SOCK
  cat <<CFG
global
    unix-bind prefix $T/pfx/ mode 0666 uid 0
    stats socket $2 level admin
defaults
    timeout server 2s
    timeout client 2s
    timeout connect 1s
    mode tcp
listen l
    bind 127.0.0.1:$1
    server s 127.0.0.1:9
CFG
}
ucfg "$PL" "$T/lbd.sock" > "$T/lbd.cfg"
ucfg "$PH" "$T/ha.sock" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"
wait_file "$T/lbd.sock"; wait_file "$T/ha.sock"

check "HAProxy: the stats socket is where it was written" [ -S "$T/ha.sock" ]
check "lbd: the stats socket is where it was written" [ -S "$T/lbd.sock" ]
expect_eq "nothing under the prefix" "$(ls -A "$T/pfx")" ""
check "HAProxy: the stats socket does not take unix-bind's mode ($(stat -c %a "$T/ha.sock"))" \
  [ "$(stat -c %a "$T/ha.sock")" != 666 ]
expect_eq "lbd: the stats socket keeps lbd's default mode" "$(stat -c %a "$T/lbd.sock")" 600
check "lbd warns that unix-bind has no effect, at its line" \
  grep -q "lbd.cfg:2: 'unix-bind' has no effect" "$T/lbd.log"

refused() { # refused NAME LINE MESSAGE: both refuse global LINE; lbd says MESSAGE
  local lrc hrc
  printf 'global\n    %s\n' "$2" > "$T/$1.cfg"
  "$LBD" -c -f "$T/$1.cfg" > "$T/$1.l" 2>&1 && lrc=0 || lrc=$?
  haproxy -c -f "$T/$1.cfg" > "$T/$1.h" 2>&1 && hrc=0 || hrc=$?
  check "$1: HAProxy refuses '$2' ($hrc)" [ "$hrc" -ne 0 ]
  expect_eq "$1: lbd refuses it at its line" "$lrc $(grep -c "$1.cfg:2: $3" "$T/$1.l")" "1 1"
}
refused badopt "unix-bind prefix /x colour red" "'unix-bind' only supports the 'prefix'"
refused baduser "unix-bind mode 0600 user no-such-user-lk" "'unix-bind' : 'no-such-user-lk' unknown user"
finish
