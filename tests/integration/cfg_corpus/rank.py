#!/usr/bin/env python3
"""Names the keyword each lbd error line refuses, for the corpus table.

Reads lines "FIXTURE<TAB>CFGPATH<TAB>ERRLINE" on stdin (ERRLINE is one lbd
error, "[lbd: ]FILE:LINE: message"); prints "FIXTURE<TAB>KEYWORD" once per
fixture and keyword. The keyword comes from the quoted word lbd names where
that word is a server/bind/socket option, else from the config line itself
(first word, plus the second for multi-word directives such as 'option X'),
so the table counts what users wrote, not how lbd phrased it.
"""
import re
import sys

# directives whose second word says which feature the line uses
TWO_WORD = {"option", "no", "http-request", "http-response", "http-after-response",
            "tcp-request", "tcp-response", "http-check", "tcp-check", "stats",
            "timeout", "stick", "capture", "compression", "redirect"}
# lines whose refused part is an option after the address
OPTION_LINES = {"server", "default-server", "server-template", "bind"}

lines_of = {}
seen = set()
for row in sys.stdin:
    fixture, cfg, err = row.rstrip("\n").split("\t", 2)
    m = re.match(r"^(?:lbd: )?(.+?):(\d+): (.*)$", err)
    if not m:
        continue
    if cfg not in lines_of:
        with open(cfg, encoding="utf-8", errors="replace") as f:
            lines_of[cfg] = f.read().split("\n")
    n, msg = int(m.group(2)), m.group(3)
    # follow-on errors of a line already counted (its bind or acl refused)
    if "has no 'bind' line" in msg or re.search(r"unknown ACL '[^']+' in condition", msg):
        continue
    words = lines_of[cfg][n - 1].split() if 0 < n <= len(lines_of[cfg]) else []
    fetch = re.search(r"unknown fetch method '([^']+)'", msg)
    if not words:
        key = "?"
    elif "${" in msg:
        key = '"${VAR}" expansion'
    elif "has no default_backend" in msg:
        key = "frontend without default_backend"
    elif fetch:
        key = "fetch " + fetch.group(1)
    elif words[0] in ("use_backend", "default_backend") and "%[" in words[1]:
        key = words[0] + " %[...]"
    elif words[0] in ("use_backend", "use-server") and "mode tcp" in msg:
        key = words[0] + " (mode tcp)"
    elif words[0] in OPTION_LINES:
        q = re.search(r"(?:keyword|option) '([^']+)'", msg)
        if q and q.group(1) == words[0]:
            key = words[0]
        elif q:
            key = words[0] + " " + q.group(1)
        elif "'send-proxy' sends the PROXY header in health checks" in msg:
            key = words[0] + " check with send-proxy"
        elif "is already used by" in msg:
            key = words[0] + " (address of another frontend)"
        elif "unix@" in msg:
            key = words[0] + " unix@"
        elif "address" in msg:
            key = words[0] + " (address without port)"
        else:
            key = words[0] + " ?"
    elif words[:2] == ["stats", "socket"]:
        q = re.search(r"option '([^']+)'", msg)
        key = "stats socket " + (q.group(1) if q else "on TCP")
    elif words[0] == "log" and "format" in words[:-1]:
        key = "log format " + words[words.index("format") + 1]
    elif words[0] in TWO_WORD and len(words) > 1:
        # set-var(txn.x) and set-var(req.y) are one action; so are Lua ones
        second = re.sub(r"\(.*", "", words[1])
        key = words[0] + " " + ("lua.*" if second.startswith("lua.") else second)
        opt = re.search(r"option '([^']+)' is not supported", msg)
        order = re.search(r"redirect: expected location, prefix or scheme, got '([^']+)'", msg)
        if opt:
            key += " " + opt.group(1)
        elif order:
            key += " (" + order.group(1) + " before the type)"
    else:
        key = words[0]
    if (fixture, key) not in seen:
        seen.add((fixture, key))
        print(f"{fixture}\t{key}")
