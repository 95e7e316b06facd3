#!/usr/bin/env python3
"""Do the files lbd accepts behave as HAProxy 2.6 does on them? (issue 11)

behave.py LBD TMPDIR CFG... : for each file both `haproxy -c` and `lbd -c`
accept once rewritten for loopback, runs HAProxy, then lbd, on the same
rewritten text, sends the same probes to each and compares the answers.

The rewrite (one text for both daemons, line for line so FILE:LINE holds):
  - every bind gets its own 127.0.0.1 ephemeral port;
  - every server, server-template and dispatch address becomes a Python
    origin on loopback that records what it gets and answers with the
    server's name (HTTP when it gets HTTP, a line of text otherwise);
  - health checks are switched off identically (the words `check`,
    `agent-check`, `track` and the check address options go): the brief
    allows that instead of waiting for UP, and it keeps the run short;
  - stats sockets go to a temp path, log targets to a local UDP receiver,
    peers/nameservers/mailers to unused loopback ports; what only a
    production host has (daemon, user, chroot, pidfile, cpu-map,
    interface, transparent, source) is dropped.
The probes, derived from the file: GET / ; each Host, header, path,
url_param, cookie and method its ACLs and maps name; a POST with a body;
an HTTP/1.0 request; Basic credentials from its userlists and stats auth;
its monitor-uri and stats uri; for mode tcp frontends a connection that
sends a line. Compared per probe: status line, response headers (names
lower-cased, sorted, Date and ports normalised), body, which server got the
request and what it got (request line, headers, body); per file the log
lines (syslog header, dates, ports and timers normalised). A stats page is
compared on status and Content-Type only (its HTML is each daemon's own).
A backend with `balance random` is compared on the backend, not the server.

Prints one verdict line per file (same / DIFF first-difference / skip why)
and a summary; writes TMPDIR/verdicts.tsv (file, verdict, detail)."""
import base64
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "regtests"))
import harness  # noqa: E402

SECTIONS = {"global", "defaults", "frontend", "backend", "listen", "userlist", "peers",
            "resolvers", "mailers", "http-errors", "cache", "program", "ring", "fcgi-app"}
DROP_GLOBAL = {"daemon", "user", "group", "uid", "gid", "chroot", "pidfile", "master-worker",
               "cpu-map", "unix-bind", "stats bind-process", "nbproc"}
# server/default-server options dropped, with how many arguments each takes
DROP_SRV = {"check": 0, "agent-check": 0, "check-send-proxy": 0, "track": 1, "source": 1,
            "usesrc": 1, "resolvers": 1, "resolve-prefer": 1, "resolve-opts": 1,
            "resolve-net": 1, "init-addr": 1, "port": 1, "addr": 1, "agent-port": 1,
            "agent-addr": 1, "agent-inter": 1, "agent-send": 1, "namespace": 1,
            "interface": 1}
DROP_BIND = {"interface": 1, "namespace": 1, "transparent": 0, "v4v6": 0, "v6only": 0,
             "user": 1, "group": 1, "uid": 1, "gid": 1, "mode": 1, "process": 1, "thread": 1}
TIMEOUT = 2.0
HELD = []  # sockets holding the chosen ports until the daemons start


def hold_port():
    """A loopback port no one else gets (the origins included) until
    release_ports(): the socket stays bound, not listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    HELD.append(s)
    return s.getsockname()[1]


def release_ports():
    while HELD:
        HELD.pop().close()


def words(line):
    """The words of a config line, raw (quotes kept), up to a comment."""
    out, cur, quote, i = [], "", None, 0
    while i < len(line):
        c = line[i]
        if quote:
            cur += c
            if c == quote:
                quote = None
        elif c == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 1
        elif c in "\"'":
            quote = c
            cur += c
        elif c == "#" and not cur:
            break
        elif c.isspace():
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        out.append(cur)
    return out


def unquote(w):
    return w[1:-1] if len(w) >= 2 and w[0] == w[-1] and w[0] in "\"'" else w


def drop_opts(ws, table):
    out, i = [], 0
    while i < len(ws):
        if ws[i] in table:
            i += 1 + table[ws[i]]
            continue
        out.append(ws[i])
        i += 1
    return out


class Rewrite:
    """The loopback text of one file and what the probes need from it."""

    def __init__(self, text, tmp, syslog_port):
        self.binds = []        # (port, proxy name, mode, accept_proxy)
        self.servers = []      # (origin name, backend)
        self.random_be = set()
        self.stats_uri = {}    # proxy -> stats page URI
        self.lines = []
        self.words = []        # (section kind, name, words) per line
        self.sock = os.path.join(tmp, "admin.sock")
        kind, name, mode, dflt_mode = None, None, None, "tcp"
        pending = []           # binds of the section being read (mode known at its end)
        ports = []

        def close_section():
            for p, nm, ap in pending:
                self.binds.append((p, nm, mode or dflt_mode, ap))
            pending.clear()

        for raw in text.splitlines():
            ws = words(raw)
            if not ws:
                self.lines.append(raw)
                continue
            kw = ws[0]
            if kw in SECTIONS:
                close_section()
                kind, name, mode = kw, (ws[1] if len(ws) > 1 else ""), None
                self.lines.append(raw)
                continue
            self.words.append((kind, name, ws))
            new = ws
            if kind == "global" and (kw in DROP_GLOBAL or " ".join(ws[:2]) in DROP_GLOBAL):
                new = None
            elif kw == "mode":
                mode = ws[1] if len(ws) > 1 else mode
                if kind == "defaults":
                    dflt_mode = mode
            elif kw == "stats" and len(ws) > 1 and ws[1] == "socket":
                # one path per socket line: a file may have several
                n = sum(1 for ln in self.lines if " stats socket " in ln)
                new = ["stats", "socket", self.sock + (".%d" % n if n else ""), "mode", "600",
                       "level", "admin"]
            elif kw == "stats" and len(ws) > 1 and ws[1] == "bind-process":
                new = None
            elif kw == "log" and len(ws) > 1 and ws[1] != "global":
                new = ["log", "127.0.0.1:%d" % syslog_port] + ws[2:]
            elif kw == "bind":
                p = hold_port()
                ports.append(p)
                rest = drop_opts(ws[2:], DROP_BIND)
                new = ["bind", "127.0.0.1:%d" % p] + rest
                if kind in ("frontend", "listen"):
                    pending.append((p, name, "accept-proxy" in rest))
            elif kw in ("server", "server-template") and kind in ("backend", "listen", "ring"):
                n = 4 if kw == "server-template" else 3
                if len(ws) < n:
                    new = ws
                else:
                    oname = ws[1] if kw == "server" else ws[1] + "*"
                    self.servers.append((oname, name))
                    new = ws[:n - 1] + ["@ORIGIN%d@" % (len(self.servers) - 1)] + \
                        drop_opts(ws[n:], DROP_SRV)
            elif kw == "default-server":
                new = [kw] + drop_opts(ws[1:], DROP_SRV)
            elif kw == "dispatch" and len(ws) > 1:
                self.servers.append(("dispatch", name))
                new = ["dispatch", "@ORIGIN%d@" % (len(self.servers) - 1)]
            elif kw == "source" and kind in ("backend", "listen", "defaults"):
                new = None
            elif kw in ("peer", "nameserver", "mailer") and len(ws) > 2:
                new = ws[:2] + ["127.0.0.1:%d" % hold_port()] + ws[3:]
            elif kw == "stats" and len(ws) > 1 and ws[1] in ("enable", "uri") and \
                    kind in ("frontend", "listen"):
                if ws[1] == "uri" and len(ws) > 2:
                    self.stats_uri[name] = unquote(ws[2])
                else:
                    self.stats_uri.setdefault(name, "/haproxy?stats")
            elif kw == "balance" and len(ws) > 1 and ws[1] == "random":
                self.random_be.add(name)
            self.lines.append("    " + " ".join(new) if new is not None else "")
        close_section()

    def text(self, origins):
        body = "\n".join(self.lines) + "\n"
        return re.sub(r"@ORIGIN(\d+)@", lambda m: "127.0.0.1:%d" % origins[int(m.group(1))].port,
                      body)


class Origin(threading.Thread):
    """A server standing in for one config `server`: records each request
    (an HTTP head and body, or raw bytes) and answers with its name."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.name = name
        self.got = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def record(self, what):
        with self.lock:
            self.got.append(what)

    def serve(self, c):
        try:
            self.serve1(c)
        except OSError:
            pass
        finally:
            c.close()

    def serve1(self, c):
        c.settimeout(0.4)
        buf, proxy = b"", None
        while b"\r\n\r\n" not in buf:
            try:
                d = c.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            buf += d
            if buf.startswith(b"PROXY ") and b"\r\n" in buf:
                proxy, buf = buf.split(b"\r\n", 1)
                proxy = proxy.decode("latin-1")
            elif buf.startswith(b"\r\n\r\n\x00\r\nQUIT\n") and len(buf) >= 16:
                n = 16 + int.from_bytes(buf[14:16], "big")
                proxy, buf = "PROXYv2 len %d" % (n - 16), buf[n:]
        if not re.match(rb"[A-Z]+ \S+ HTTP/1\.[01]\r\n", buf):
            if buf or proxy:
                self.record({"raw": buf.decode("latin-1"), "proxy": proxy})
                c.sendall(("%s got %d bytes\n" % (self.name, len(buf))).encode())
            return
        c.settimeout(TIMEOUT)
        while True:
            head, buf = harness.read_head(c, buf)
            if head is None:
                return
            lines = head.split("\r\n")
            fields = harness.parse_fields(lines[1:])
            body, buf, closed = harness.read_body(c, buf, fields, None)
            self.record({"line": lines[0], "fields": fields, "body": (body or b"").decode("latin-1"),
                         "proxy": proxy})
            proxy = None
            rb = ("%s\n" % self.name).encode()
            out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" \
                  "X-Origin: %s\r\n\r\n" % (len(rb), self.name)
            c.sendall(out.encode("latin-1") + (b"" if lines[0].startswith("HEAD ") else rb))
            if closed:
                return

    def take(self):
        with self.lock:
            g, self.got = self.got, []
        return g

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# --- probes ----------------------------------------------------------------
FETCH = re.compile(r"^!?(req\.)?(hdr|hdr_beg|hdr_end|hdr_dom|hdr_sub|hdr_str|hdr_reg|hdr_ip|"
                   r"hdr_val|fhdr)\(([^),]+)(?:,[^)]*)?\)(,\S+)?$|"
                   r"^!?(path|path_beg|path_end|path_sub|path_dir|path_reg|path_len|url|url_beg|"
                   r"url_end|url_sub|url_reg|url_dir|base|base_beg|base_sub|base_reg|query|"
                   r"capture\.req\.uri|req\.uri)(,\S+)?$|"
                   r"^!?(url_param|urlp|req\.cook|cook|cookie|req\.cook_cnt)\(([^),]+)\)(,\S+)?$|"
                   r"^!?(method)$")
ENDS = {"}", "||", "or", "if", "unless", "{"}


def de_regex(p):
    """One string a simple regex matches, or None."""
    p = p.lstrip("^").rstrip("$")
    p = p.replace(".*", "x").replace(".+", "x")
    p = re.sub(r"\\(.)", r"\1", p)
    if re.search(r"[\[\](){}|?+*^$]", p):
        return None
    return p


def file_keys(path, n=3):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            keys = [ln.split()[0] for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError:
        return []
    return keys[:n]


def probe_for(fetch, pat, how):
    """A request (dict for harness-like sending) matching FETCH PAT, or None."""
    m = FETCH.match(fetch)
    if not m:
        return None
    if how == "reg" or (how is None and fetch.split("(")[0].endswith("_reg")):
        pat = de_regex(pat)
        if pat is None:
            return None
        how = "str"
    kind = fetch.lstrip("!").split("(")[0].split(",")[0]
    base = kind.replace("req.", "").split("_")[0]
    suffix = kind.split("_")[1] if "_" in kind else (how or "str")
    if how:
        suffix = how
    if m.group(3):
        hname = m.group(3).strip()
        if suffix == "end" or suffix == "dom":
            val = pat if suffix == "dom" else "x" + pat if not pat.startswith(".") else "www" + pat
        elif suffix == "beg":
            val = pat
        elif suffix == "sub":
            val = "x" + pat + "x"
        else:
            val = pat
        return {"hdrs": [(hname, val)]} if hname.lower() != "host" else {"host": val}
    if m.group(7):
        name = m.group(8)
        if base in ("url", "urlp"):
            return {"url": "/?%s=%s" % (name, pat or "1")}
        return {"hdrs": [("Cookie", "%s=%s" % (name, pat or "1"))]}
    if m.group(10):
        return {"method": pat.upper()}
    if base == "base":
        host, _, path = pat.partition("/")
        return {"host": host, "url": "/" + path}
    if base == "query":
        return {"url": "/?" + pat}
    if not pat:
        return None
    if suffix == "end":
        url = "/x" + pat if not pat.startswith("/") else pat
    elif suffix == "sub":
        url = "/x" + pat + "x"
    elif suffix == "dir":
        url = "/" + pat.strip("/") + "/x"
    else:
        url = pat if pat.startswith("/") or base == "url" else "/" + pat
    return {"url": url}


def acl_probes(rw):
    """Probes named by ACLs, inline conditions and map files of the file."""
    out = []
    for _, _, ws in rw.words:
        toks = [unquote(w) for w in ws]
        i = 0
        while i < len(toks):
            t = toks[i]
            fetch = t
            mm = re.match(r"^%\[(.*?),(map\w*)\(([^),]+)", t)
            if mm:
                for k in file_keys(mm.group(3)):
                    p = probe_for(mm.group(1), k, "reg" if "reg" in mm.group(2) else
                                  "beg" if "beg" in mm.group(2) else None)
                    if p:
                        out.append(p)
                i += 1
                continue
            if not FETCH.match(fetch):
                i += 1
                continue
            j, how, pats = i + 1, None, []
            while j < len(toks) and toks[j] not in ENDS and not FETCH.match(toks[j]):
                w = toks[j]
                if w == "-m" and j + 1 < len(toks):
                    how = toks[j + 1]
                    j += 2
                    continue
                if w in ("-f", "-M") and j + 1 < len(toks):
                    pats += file_keys(toks[j + 1])
                    j += 2
                    continue
                if w.startswith("-") and len(w) <= 3:
                    j += 1
                    continue
                pats.append(w)
                j += 1
            if how == "found" or (not pats and fetch.startswith(("url_param", "urlp", "req.cook",
                                                                  "cook"))):
                pats = pats or [""]
            for pat in pats[:3]:
                p = probe_for(fetch, pat, how if how in ("beg", "end", "sub", "reg", "dom",
                                                            "str", "dir") else None)
                if p:
                    out.append(p)
            i = j
    return out


def http_probes(rw):
    probes = [{"id": "GET /"},
              {"id": "POST body", "method": "POST", "url": "/submit",
               "hdrs": [("Content-Type", "application/x-www-form-urlencoded")],
               "body": b"a=1&b=two"},
              {"id": "HTTP/1.0", "ver": "HTTP/1.0", "url": "/old"}]
    users = []
    for _, _, ws in rw.words:
        if ws[0] == "user" and "insecure-password" in ws:
            users.append((ws[1], unquote(ws[ws.index("insecure-password") + 1])))
        elif ws[:2] == ["stats", "auth"] and len(ws) > 2 and ":" in ws[2]:
            users.append(tuple(unquote(ws[2]).split(":", 1)))
        elif ws[0] == "monitor-uri" and len(ws) > 1:
            probes.append({"id": "monitor " + ws[1], "url": ws[1]})
        elif ws[:2] == ["stats", "uri"] and len(ws) > 2:
            probes.append({"id": "stats " + ws[2], "url": ws[2], "stats": True})
    for u, p in users[:2]:
        cred = base64.b64encode(("%s:%s" % (u, p)).encode()).decode()
        probes.append({"id": "auth " + u, "hdrs": [("Authorization", "Basic " + cred)]})
        for pr in list(probes):
            if pr.get("stats"):
                probes.append(dict(pr, id=pr["id"] + " auth " + u,
                                   hdrs=[("Authorization", "Basic " + cred)]))
    seen = {p["id"] for p in probes}
    for p in acl_probes(rw):
        pid = " ".join("%s=%s" % (k, v) for k, v in sorted(p.items()))
        if pid not in seen and len(probes) < 40:
            seen.add(pid)
            probes.append(dict(p, id=pid))
    return probes


# --- sending and normalising ------------------------------------------------
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def norm(s):
    s = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:P", s)
    return UUID.sub("UUID", s)


def norm_fields(fields, drop=("date",)):
    return sorted((k, "DATE" if k in drop else norm(v)) for k, v in fields)


def send_http(port, p, accept_proxy):
    body = p.get("body", b"")
    host = p.get("host", "behave.test")
    head = "%s %s %s\r\n" % (p.get("method", "GET"), p.get("url", "/"), p.get("ver", "HTTP/1.1"))
    hdrs = ([] if p.get("ver") == "HTTP/1.0" else [("Host", host)]) + \
        [("User-Agent", "behave/1"), ("Accept", "*/*")] + p.get("hdrs", [])
    head += "".join("%s: %s\r\n" % kv for kv in hdrs)
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    data = head.encode("latin-1") + b"\r\n" + body
    if accept_proxy:
        data = b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 80\r\n" + data
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    except OSError as e:
        return {"error": "connect: %s" % e.strerror}
    try:
        s.sendall(data)
        head, buf = harness.read_head(s, b"")
        if head is None:
            return {"closed": buf.decode("latin-1")[:200]}
        lines = head.split("\r\n")
        fields = harness.parse_fields(lines[1:])
        no_body = p.get("method") == "HEAD" or " 204 " in lines[0] or " 304 " in lines[0]
        try:
            rbody, _, _ = harness.read_body(s, buf, fields, no_body)
        except (socket.timeout, OSError):
            rbody = b"<timeout>"
        if rbody is None:
            rbody = buf
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    rbody += d
            except (socket.timeout, OSError):
                pass
        if p.get("stats"):
            return {"status": lines[0],
                    "fields": [(k, v.split(";")[0]) for k, v in fields if k == "content-type"]}
        return {"status": lines[0], "fields": norm_fields(fields),
                "body": norm(rbody.decode("latin-1"))}
    except OSError as e:
        return {"error": str(e)}
    finally:
        s.close()


def send_tcp(port, accept_proxy):
    data = b"behave-ping\r\n"
    if accept_proxy:
        data = b"PROXY TCP4 127.0.0.1 127.0.0.1 40000 80\r\n" + data
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    except OSError as e:
        return {"error": "connect: %s" % e.strerror}
    got = b""
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (socket.timeout, OSError):
        got += b"<timeout>"
    finally:
        s.close()
    return {"reply": got.decode("latin-1")}


def collect(origins, rw):
    time.sleep(0.02)
    out = []
    for o, (oname, be) in zip(origins, rw.servers):
        for g in o.take():
            who = ("random@" + be) if be in rw.random_be else (be + "/" + oname)
            if "fields" in g:
                g = dict(g, fields=norm_fields([kv for kv in g["fields"]]))
            if g.get("proxy"):
                g["proxy"] = re.sub(r" \d+ (\d+)$", r" P \1", g["proxy"])
            out.append((who, g))
    return out


LOGNORM = [
    (re.compile(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d |^<(\d+)>(1 )?\S+ "), r"<\1\2>"),
    (re.compile(r"\b(haproxy|lbd)\[\d+\]:"), "PROG[PID]:"),
    (UUID, "UUID"),
    (re.compile(r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(\.\d+)?"), "DATE"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "DATE"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:P"),
    (re.compile(r"(?<![\w/])[+-]?\d+(/[+-]?\d+){2,4}(?![\w/])"), "T"),
    # httplog's bytes: HAProxy 2.6 counts its internal (HTX) sizes, 3 bytes
    # more than the wire on the origin's answer; lbd counts the wire
    (re.compile(r"(\bT -?\d{3}) \+?\d+ "), r"\1 B "),
]


def norm_log(line):
    line = line.rstrip("\n")
    for rx, rep in LOGNORM:
        line = rx.sub(rep, line)
    return line


def run_one(kind, path, rw, origins, syslog, tmp, lbd):
    d = harness.Daemon(kind, path, tmp, lbd)
    for f in os.listdir(os.path.dirname(rw.sock)):
        if f.startswith("admin.sock"):
            os.unlink(os.path.join(os.path.dirname(rw.sock), f))
    ports = [b[0] for b in rw.binds]
    if not d.start(ports):
        out = d.output()
        d.stop()
        return None, "did not start: " + harness.first_error(out)
    syslog.take()
    for o in origins:
        o.take()
    res = []
    hprobes = http_probes(rw)
    for port, fe, mode, ap in rw.binds:
        if mode == "http":
            su = rw.stats_uri.get(fe)
            for p in hprobes:
                if su and p.get("url", "/").startswith(su):
                    p = dict(p, stats=True)
                r = send_http(port, p, ap)
                res.append(("%s:%s" % (fe, p["id"]), r, collect(origins, rw)))
        else:
            r = send_tcp(port, ap)
            res.append(("%s:tcp" % fe, r, collect(origins, rw)))
    logs = harness.wait_logs(syslog, 0, 0.35)
    d.stop()
    return {"probes": res, "logs": [norm_log(x) for x in logs]}, None


def first_diff(a, b):
    for (pa, ra, ga), (_, rb, gb) in zip(a["probes"], b["probes"]):
        for key in ("error", "closed", "status", "fields", "body", "reply"):
            if ra.get(key) != rb.get(key):
                va, vb = ra.get(key), rb.get(key)
                if key == "fields":
                    va, vb = [f for f in va if f not in vb], [f for f in vb if f not in va]
                return "%s: %s (%s): haproxy %r lbd %r" % (pa, key, ra.get("status"), va, vb)
        if [w for w, _ in ga] != [w for w, _ in gb]:
            return "%s: server: haproxy %r lbd %r" % (pa, [w for w, _ in ga], [w for w, _ in gb])
        for (_, xa), (_, xb) in zip(ga, gb):
            for key in ("line", "fields", "body", "raw", "proxy"):
                if xa.get(key) != xb.get(key):
                    va, vb = xa.get(key), xb.get(key)
                    if key == "fields":
                        va = [f for f in va if f not in vb]
                        vb = [f for f in xb["fields"] if f not in xa["fields"]]
                    return "%s: upstream %s: haproxy %r lbd %r" % (pa, key, va, vb)
    la, lb = a["logs"], b["logs"]
    if len(la) != len(lb):
        return "logs: haproxy %d lines, lbd %d" % (len(la), len(lb))
    for x, y in zip(la, lb):
        if x != y:
            return "log: haproxy %r lbd %r" % (x, y)
    return None


def check(kind, path, lbd):
    p = harness.Daemon(kind, path, None, lbd).check()
    rc, out = p
    if kind == "haproxy" and rc == 2 and "has no error" in out:
        rc = 0
    return rc, out


def main():
    lbd, tmp = sys.argv[1], sys.argv[2]
    files = sys.argv[3:]
    syslog = harness.Syslog()
    verdicts = []
    for src in files:
        name = os.path.basename(src)[:-4] if src.endswith(".cfg") else os.path.basename(src)
        with open(src, encoding="utf-8", errors="replace") as f:
            text = f.read()
        wd = os.path.join(tmp, "b", name)
        os.makedirs(wd, exist_ok=True)
        rw = Rewrite(text, wd, syslog.port)
        origins = [Origin(n) for n, _ in rw.servers]
        path = os.path.join(wd, "behave.cfg")
        with open(path, "w") as f:
            f.write(rw.text(origins))
        release_ports()
        try:
            hrc, hout = check("haproxy", path, lbd)
            lrc, lout = check("lbd", path, lbd)
            if hrc != 0 or lrc != 0:
                why = ("haproxy -c: " + harness.first_error(hout)) if hrc else \
                      ("lbd -c: " + harness.first_error(lout))
                verdicts.append((name, "skip", why))
                continue
            if not rw.binds:
                verdicts.append((name, "skip", "no frontend listener"))
                continue
            a, err = run_one("haproxy", path, rw, origins, syslog, tmp, lbd)
            if err:
                verdicts.append((name, "skip", "haproxy " + err))
                continue
            b, err = run_one("lbd", path, rw, origins, syslog, tmp, lbd)
            if err:
                verdicts.append((name, "DIFF", "lbd " + err))
                continue
            d = first_diff(a, b)
            if os.environ.get("BEHAVE_DUMP"):  # both runs, for a look by hand
                with open(os.path.join(wd, "runs.txt"), "w") as f:
                    f.write(repr(a) + "\n\n" + repr(b) + "\n")
            n = len(a["probes"])
            verdicts.append((name, "DIFF" if d else "same",
                             d if d else "%d probes, %d log lines" % (n, len(a["logs"]))))
        finally:
            for o in origins:
                o.close()
            v = verdicts[-1]
            print("%-5s %s: %s" % (v[1], v[0], v[2][:300]), flush=True)
    with open(os.path.join(tmp, "verdicts.tsv"), "w") as f:
        for v in verdicts:
            f.write("%s\t%s\t%s\n" % (v[0], v[1], v[2].replace("\t", " ").replace("\n", " ")))
    ncmp = sum(1 for v in verdicts if v[1] != "skip")
    nsame = sum(1 for v in verdicts if v[1] == "same")
    print("\nbehave: %d files; both accept and start %d; identical on the probes %d; differing %d"
          % (len(verdicts), ncmp, nsame, ncmp - nsame))


if __name__ == "__main__":
    main()
