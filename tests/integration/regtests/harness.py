"""Machinery for regtests.py: origin servers, a raw HTTP/1.1 client, a
syslog receiver, and running one case on one daemon (lbd or HAProxy 2.6).

Everything listens on 127.0.0.1 only; every process started here is
remembered and stopped by its own PID."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

REASONS = {200: "OK", 201: "Created", 234: "Odd", 301: "Moved", 302: "Found",
           403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def listening(port):
    """True when some socket listens on port (read from /proc, so that no
    connection is made: some cases count connections)."""
    want = ":%04X" % port
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                for line in fh.readlines()[1:]:
                    cols = line.split()
                    if cols[1].endswith(want) and cols[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def read_head(sock, buf):
    """Read until the end of a message head; returns (head, rest) or
    (None, buf) on EOF."""
    while b"\r\n\r\n" not in buf:
        try:
            d = sock.recv(65536)
        except (socket.timeout, OSError):
            return None, buf
        if not d:
            return None, buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def parse_fields(lines):
    return [(k.strip().lower(), v.strip()) for k, v in
            (ln.split(":", 1) for ln in lines if ":" in ln)]


def read_body(sock, rest, fields, no_body):
    """The body after a head: Content-Length, chunked (decoded) or until
    close (a request has none then: no_body None). Returns (body, leftover,
    closed)."""
    get = dict(fields)
    if no_body is None and "content-length" not in get and "transfer-encoding" not in get:
        return b"", rest, False
    if no_body:
        return b"", rest, False
    if "content-length" in get:
        n = int(get["content-length"])
        while len(rest) < n:
            d = sock.recv(65536)
            if not d:
                return rest, b"", True
            rest += d
        return rest[:n], rest[n:], False
    if "chunked" in get.get("transfer-encoding", ""):
        body = b""
        while True:
            while b"\r\n" not in rest:
                d = sock.recv(65536)
                if not d:
                    return body, b"", True
                rest += d
            size_line, rest = rest.split(b"\r\n", 1)
            n = int(size_line.split(b";")[0], 16)
            while len(rest) < n + 2:
                d = sock.recv(65536)
                if not d:
                    return body, b"", True
                rest += d
            if n == 0:
                # trailers (none expected) end with an empty line
                return body, rest[2:], False
            body += rest[:n]
            rest = rest[n + 2:]
    return None, rest, True


class Origin:
    """An HTTP/1.1 server that records what it receives and answers with a
    fixed reply: (status, [(name, value)...], body), or a function of the
    request giving one. A delay before answering can be set."""

    def __init__(self, name, reply=None, delay=0.0, close=False):
        self.name, self.delay, self.close = name, delay, close
        self.reply = reply or (200, [], b"")
        self.got = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        c.settimeout(10)
        buf = b""
        try:
            while True:
                head, buf = read_head(c, buf)
                if head is None:
                    return
                lines = head.split("\r\n")
                fields = parse_fields(lines[1:])
                body, buf, closed = read_body(c, buf, fields, None)
                req = {"line": lines[0], "fields": fields, "body": body or b"", "raw": lines[1:]}
                with self.lock:
                    self.got.append(req)
                if self.delay:
                    time.sleep(self.delay)
                rep = self.reply(req) if callable(self.reply) else self.reply
                if rep is None:
                    return
                status, hdrs, rbody = rep
                out = "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "X"))
                out += "".join("%s:%s\r\n" % (k, (" " + v) if v and v[0] != " " else v)
                               for k, v in hdrs)
                if not any(k.lower() == "content-length" for k, _ in hdrs):
                    out += "Content-Length: %d\r\n" % len(rbody)
                if self.close:
                    out += "Connection: close\r\n"
                c.sendall(out.encode("latin-1") + b"\r\n" + rbody)
                if self.close or closed:
                    return
        except OSError:
            return
        finally:
            c.close()

    def take(self):
        with self.lock:
            g, self.got = self.got, []
        return g


class Syslog:
    """UDP syslog receiver: keeps every datagram."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lines = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            d = self.sock.recv(65536)
            self.lines.append(d.decode("latin-1"))

    def take(self):
        g, self.lines = self.lines, []
        return g


def send(port, reqs, collect, timeout=3.0):
    """Send requests on one client connection, one after the other; returns
    one result per request: {"status", "fields", "body"} or {"closed": True}
    when the connection ended without an answer. A request is a dict:
    method, url, hdrs [(name, value)], body (bytes), raw (bytes sent as is),
    ver (default HTTP/1.1). collect() is called after each answer and what it
    returns is kept in the result as "got" (what the origins received)."""
    out = []
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf = b""
    try:
        for r in reqs:
            if "raw" in r:
                data = r["raw"]
            else:
                body = r.get("body", b"")
                head = "%s %s %s\r\n" % (r.get("method", "GET"), r.get("url", "/"),
                                        r.get("ver", "HTTP/1.1"))
                head += "".join("%s: %s\r\n" % kv for kv in r.get("hdrs", []))
                if body:
                    head += "Content-Length: %d\r\n" % len(body)
                data = head.encode("latin-1") + b"\r\n" + body
            try:
                s.sendall(data)
            except OSError:
                out.append({"closed": True, "got": collect()})
                break
            head, buf = read_head(s, buf)
            if head is None:
                out.append({"closed": True, "got": collect()})
                break
            lines = head.split("\r\n")
            status = int(lines[0].split()[1])
            fields = parse_fields(lines[1:])
            no_body = r.get("method") == "HEAD" or status in (204, 304)
            body, buf, closed = read_body(s, buf, fields, no_body)
            out.append({"status": status, "fields": fields,
                        "body": (body or b"").decode("latin-1"), "got": collect()})
            if closed:
                break
    finally:
        s.close()
    return out


class Daemon:
    """lbd or HAProxy on one config file; start() waits for its listeners."""

    def __init__(self, kind, cfg_path, tmp, lbd):
        self.kind, self.cfg, self.tmp, self.lbd = kind, cfg_path, tmp, lbd
        self.proc = None

    def check(self):
        argv = ([self.lbd, "-c", "-f", self.cfg] if self.kind == "lbd"
                else ["haproxy", "-c", "-f", self.cfg])
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return p.returncode, (p.stdout + p.stderr).strip()

    def start(self, ports):
        log = open(self.cfg + ".log", "w")
        argv = ([self.lbd, "-f", self.cfg, "-R", self.cfg + ".run"] if self.kind == "lbd"
                else ["haproxy", "-f", self.cfg, "-db"])
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        for _ in range(200):  # 10 s at most
            if all(listening(p) for p in ports):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def output(self):
        try:
            with open(self.cfg + ".log") as f:
                return f.read()
        except OSError:
            return ""


def fill(text, names):
    """Replace @NAME@ in a config template."""
    return re.sub(r"@([a-z0-9_]+)@", lambda m: str(names[m.group(1)]), text)


def first_error(out):
    for ln in out.splitlines():
        if "rror" in ln or "ALERT" in ln or "unknown" in ln or "refus" in ln:
            return ln.strip()
    return out.splitlines()[0].strip() if out else "(no message)"


def wait_logs(sl, n_min, secs=1.5):
    """Until the receiver holds at least n_min lines and no new one came
    for 200 ms (bounded)."""
    end = time.time() + secs
    last, since = -1, time.time()
    while time.time() < end:
        n = len(sl.lines)
        if n != last:
            last, since = n, time.time()
        elif n >= n_min and time.time() - since > 0.2:
            break
        time.sleep(0.05)
    return sl.take()


def os_path(*a):
    return os.path.join(*a)
