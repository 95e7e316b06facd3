#!/usr/bin/env python3
"""A UDP syslog receiver for the logging tests: syslogd.py PORT FILE.
Appends each datagram to FILE as one line; creates FILE.ready once bound,
so that lines sent after it arrive."""
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(65536).decode(errors="replace")
        f.write(d.rstrip("\n") + "\n")
        f.flush()
