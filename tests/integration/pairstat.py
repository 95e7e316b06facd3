"""Read what HAProxy and checkd report about the same servers (the
checkd_* scenarios that run HAProxy side by side; see lib.sh start_pair).

ha_servers(path): HAProxy's "show stat" CSV -> {"backend/server": row dict},
  without the BACKEND/FRONTEND rows.
ck_targets(path): checkd's "show health json" -> {"backend/server": target}.
ha_state(row): "UP" or "DOWN" as the status column begins.
"""
import csv
import json


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
