#!/usr/bin/env python3
"""Ask a load balancer N times which server it picks, one new connection
per request, and print the answering server's name per line.

usage: pick.py PORT BACKEND MODE N
  BACKEND   sent as X-Be (the frontend routes on it)
  MODE uri  path /obj/<i>/<word>/item.<i*7>?q=<i>  (uri, whole, len, depth)
       hdr  header X-User: user-<i>                (hdr)
       src  from source address 127.1.<i//250>.<i%250+1>  (source)
       pin  path /pin/<i>                          (use-server on the path)
       two  header X-Pin: two                      (use-server on a header)
       none no varying input                       (random: the counts)
"""
import socket
import sys

PORT, BE, MODE, N = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
WORDS = ["img", "css", "a", "static", "Video", "x-y", "0", "deep/er"]


def ask(i):
    path, extra, src = "/", "", None
    if MODE == "uri":
        path = "/obj/%d/%s/item.%d?q=%d" % (i, WORDS[i % len(WORDS)], i * 7, i)
    elif MODE == "hdr":
        extra = "X-User: user-%d\r\n" % i
    elif MODE == "pin":
        path = "/pin/%d" % i
    elif MODE == "two":
        extra = "X-Pin: two\r\n"
    elif MODE == "src":
        src = ("127.1.%d.%d" % (i // 250, i % 250 + 1), 0)
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5, source_address=src)
    s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nX-Be: %s\r\n%sConnection: close\r\n\r\n"
               % (path, BE, extra)).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode() if b" " in head else "?"
    return body.decode().strip() if status == "200" else "status-" + status


for i in range(N):
    print(ask(i))
