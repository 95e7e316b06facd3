#!/usr/bin/env python3
"""A backend that answers with the request it received: its request line and
every header (name lower-cased, value) as JSON, so that what lbd and HAProxy
forward can be compared. X-Want-* request headers ask for response headers."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        body = json.dumps({
            "line": self.requestline,
            "headers": [[k.lower(), v] for k, v in self.headers.items()
                        if k.lower().startswith("x-") or k.lower() == "host"],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Srv", "a")
        self.send_header("X-Port", str(self.server.server_address[1]))
        for k, v in self.headers.items():
            if k.lower().startswith("x-want-"):
                self.send_header(k[7:], v)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = handle_one

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
