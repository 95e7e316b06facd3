#!/usr/bin/env python3
"""The backend of the compression test: each path answers one kind of
response (type, framing, ETag, Cache-Control, status...); bodies are
deterministic text so that a decompressed body can be checked against the
backend's own answer. X-Seen-AE tells what Accept-Encoding it received.
Usage: srv.py PORT"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


def body_of(n):
    line = b"lbkit compression test line, the same words again and again 0123456789\n"
    return (line * (n // len(line) + 1))[:n]


KINDS = {
    # path: (status, headers, framing)
    "/text": (200, [("Content-Type", "text/html; charset=utf-8")], "cl"),
    "/chunked": (200, [("Content-Type", "text/plain")], "chunked"),
    "/json": (200, [("Content-Type", "application/json")], "cl"),
    "/img": (200, [("Content-Type", "image/png")], "cl"),
    "/etag": (200, [("Content-Type", "text/html"), ("ETag", '"v1"')], "cl"),
    "/weak": (200, [("Content-Type", "text/html"), ("ETag", 'W/"v1"')], "cl"),
    "/badetag": (200, [("Content-Type", "text/html"), ("ETag", "v1")], "cl"),
    "/twoetag": (200, [("Content-Type", "text/html"), ("ETag", '"a"'), ("ETag", '"b"')], "cl"),
    "/notrans": (200, [("Content-Type", "text/html"), ("Cache-Control", "public, no-transform")], "cl"),
    "/encoded": (200, [("Content-Type", "text/html"), ("Content-Encoding", "br")], "cl"),
    "/multipart": (200, [("Content-Type", "multipart/mixed; boundary=x")], "cl"),
    "/notype": (200, [], "cl"),
    "/404": (404, [("Content-Type", "text/html")], "cl"),
    "/201": (201, [("Content-Type", "text/html")], "cl"),
    "/204": (204, [("Content-Type", "text/html")], "none"),
    "/vary": (200, [("Content-Type", "text/html"), ("Vary", "Cookie")], "cl"),
    "/close": (200, [("Content-Type", "text/html")], "eof"),
    "/slow": (200, [("Content-Type", "text/plain")], "slow"),
}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        u = urlparse(self.path)
        path = u.path
        for pre in ("/raw", "/off", "/types"):
            if path.startswith(pre + "/"):
                path = path[len(pre):]
        n = int(parse_qs(u.query).get("n", ["3000"])[0])
        status, hdrs, framing = KINDS.get(path, (200, [("Content-Type", "text/html")], "cl"))
        body = b"" if framing == "none" or self.command == "HEAD" else body_of(n)
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("X-Seen-AE", self.headers.get("Accept-Encoding", "-"))
        if framing in ("chunked", "slow"):
            self.send_header("Transfer-Encoding", "chunked")
        elif framing == "eof":
            self.send_header("Connection", "close")
            self.close_connection = True
        elif framing == "cl":
            self.send_header("Content-Length", str(len(body_of(n))))
        self.end_headers()
        if self.command == "HEAD" or framing == "none":
            return
        if framing in ("chunked", "slow"):
            step = 1000 if framing == "chunked" else 700
            for i in range(0, len(body), step):
                part = body[i:i + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                if framing == "slow":
                    self.wfile.flush()
                    time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *a):
        pass


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that closed early (HEAD, a proxy's reset) is not news


Server(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
