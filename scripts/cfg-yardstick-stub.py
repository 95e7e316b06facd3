#!/usr/bin/env python3
"""Points the files a haproxy.cfg references at stand-ins, for the yardstick.

cfg-yardstick-stub.py IN OUT STUBDIR: copies IN to OUT line for line (so
FILE:LINE stays right) with each certificate, CA, error page, Lua script or
map/ACL file that does not exist here replaced by a stand-in in STUBDIR
(made by cfg-yardstick.sh: a self-signed certificate, an error page, an
empty Lua script, an empty list). Real files are kept as they are.
"""
import os
import re
import sys

src, dst, stub = sys.argv[1:4]
# keyword -> stand-in; the path is the word after the keyword
AFTER = {"crt": "site.pem", "ca-file": "ca.pem", "crl-file": "ca.pem",
         "crt-list": "crt-list.txt", "lua-load": "empty.lua",
         "lua-prepend-path": None, "errorloc": None}


def stand_in(path, kind):
    if os.path.exists(path):
        return path
    if kind == "site.pem" and path.endswith("/"):
        return stub + "/certdir/"
    return stub + "/" + kind


out = []
with open(src, encoding="utf-8", errors="replace") as f:
    for line in f.read().split("\n"):
        words = re.split(r"(\s+)", line)
        toks = [i for i, w in enumerate(words) if w and not w.isspace()]
        for j, i in enumerate(toks[:-1]):
            w, nxt = words[i], toks[j + 1]
            if w.startswith("#"):
                break
            if AFTER.get(w):
                words[nxt] = stand_in(words[nxt], AFTER[w])
            elif w == "errorfile" and j + 2 < len(toks):
                words[toks[j + 2]] = stand_in(words[toks[j + 2]], "error.http")
            elif w == "-f":
                words[nxt] = stand_in(words[nxt], "empty.lst")
        line = "".join(words)
        # map(FILE), map_beg(FILE,...) and the like in samples
        line = re.sub(r"(\bmap(?:_\w+)?\()([^,)]+)",
                      lambda m: m.group(1) + stand_in(m.group(2), "empty.lst"), line)
        out.append(line)
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(out))
