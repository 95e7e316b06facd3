"""Read what HAProxy and checkd report about the same servers (the
checkd_* scenarios that run HAProxy side by side; see lib.sh start_pair).

ha_servers(path): HAProxy's "show stat" CSV -> {"backend/server": row dict},
  without the BACKEND/FRONTEND rows.
ck_targets(path): checkd's "show health json" -> {"backend/server": target}.
ha_state(row): "UP" or "DOWN" as the status column begins.
As a program, "pairstat.py settled CSV..." prints one show stat CSV made of
each server's first row whose check is not in progress ("* L7OK").
"""
import csv
import json
import sys


def ha_servers(path):
    rows = list(csv.reader(open(path)))
    hdr = rows[0]
    hdr[0] = "pxname"
    out = {}
    for r in rows[1:]:
        if len(r) < len(hdr) or r[1] in ("BACKEND", "FRONTEND"):
            continue
        d = dict(zip(hdr, r))
        out[d["pxname"] + "/" + d["svname"]] = d
    return out


def ck_targets(path):
    return {t["id"]: t for t in json.loads(open(path).readline())["targets"]}


def ha_state(row):
    return "UP" if row["status"].startswith("UP") else "DOWN"


def same_info(row, target):
    """HAProxy's last_chk is the info of checkd's reason (or both have none)."""
    info = row["last_chk"]
    if info:
        return ('info: "%s"' % info) in target["reason"]
    return ", info:" not in target["reason"]


def settled(paths):
    best, hdr = {}, None
    for f in paths:
        rows = list(csv.reader(open(f)))
        hdr = rows[0]
        col = hdr.index("check_status")
        for r in rows[1:]:
            if len(r) <= col:
                continue
            k = (r[0], r[1])
            if k not in best or (best[k][col].startswith("*") and not r[col].startswith("*")):
                best[k] = r
    w = csv.writer(sys.stdout)
    w.writerow(hdr)
    for k in best:
        w.writerow(best[k])


if __name__ == "__main__" and sys.argv[1:2] == ["settled"]:
    settled(sys.argv[2:])
