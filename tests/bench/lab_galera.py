"""Writers for tests/bench/lab_galera.sh, through lbd to the lab's Galera
cluster (pymysql, Debian's python3-pymysql).

  lab_galera.py hot HOST PORT THREADS SECONDS
      THREADS connections (opened one after the other: lbd's round-robin
      spreads them over the servers it has up), each updating one hot row
      in autocommit as fast as it can for SECONDS. Prints JSON: commits,
      errors by code, the share of 1213 (deadlock: Galera's certification
      conflict) among the attempts, and which node each connection got.
  lab_galera.py steady HOST PORT PERIOD STOPFILE ACKED LOG
      one writer inserting a numbered row every PERIOD seconds until
      STOPFILE exists, reconnecting after any error; every acknowledged id
      to ACKED, a line per attempt to LOG: epoch, 0 or the error code.
"""
import json
import os
import sys
import threading
import time

import pymysql

USER, PW, DB = "shop", "shop-pw", "carrinho"


def connect(host, port):
    return pymysql.connect(host=host, port=int(port), user=USER, password=PW, database=DB,
                           autocommit=True, connect_timeout=2, read_timeout=3, write_timeout=3)


def code(e):
    return e.args[0] if isinstance(e, pymysql.MySQLError) and e.args and isinstance(e.args[0], int) else -1


def hot(host, port, threads, seconds):
    conns = [connect(host, port) for _ in range(int(threads))]
    nodes = []
    for c in conns:
        with c.cursor() as cur:
            cur.execute("SELECT @@wsrep_node_name")
            nodes.append(cur.fetchone()[0])
    end = time.monotonic() + float(seconds)
    lock = threading.Lock()
    stats = {"commits": 0, "errors": {}}

    def run(c):
        ok, errs = 0, {}
        cur = c.cursor()
        while time.monotonic() < end:
            try:
                cur.execute("UPDATE hot SET n = n + 1 WHERE id = 1")
                ok += 1
            except pymysql.MySQLError as e:
                errs[code(e)] = errs.get(code(e), 0) + 1
        with lock:
            stats["commits"] += ok
            for k, v in errs.items():
                stats["errors"][str(k)] = stats["errors"].get(str(k), 0) + v

    ts = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    attempts = stats["commits"] + sum(stats["errors"].values())
    stats["attempts"] = attempts
    stats["deadlock_pct"] = round(100.0 * stats["errors"].get("1213", 0) / max(attempts, 1), 1)
    stats["nodes"] = nodes
    print(json.dumps(stats))


def steady(host, port, period, stopfile, acked, logf):
    conn = None
    i = 0
    with open(acked, "w") as ack, open(logf, "w") as log:
        while not os.path.exists(stopfile):
            i += 1
            t = time.time()
            try:
                if conn is None:
                    conn = connect(host, port)
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO steady (id) VALUES (%s)", (i,))
                ack.write("%d\n" % i)
                ack.flush()
                err = 0
            except Exception as e:  # a refused, reset or timed-out connection too
                err = code(e)
                try:
                    conn and conn.close()
                except Exception:
                    pass
                conn = None
            log.write("%.3f %d\n" % (t, err))
            log.flush()
            time.sleep(float(period))


if __name__ == "__main__":
    if sys.argv[1:2] == ["hot"] and len(sys.argv) == 6:
        hot(*sys.argv[2:])
    elif sys.argv[1:2] == ["steady"] and len(sys.argv) == 8:
        steady(*sys.argv[2:])
    else:
        sys.exit(__doc__)
