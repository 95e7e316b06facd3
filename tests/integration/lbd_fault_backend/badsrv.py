#!/usr/bin/env python3
"""Broken backends for lbd_fault_backend.

  badsrv.py hung PORT  accepts every connection, reads what comes, never
                       answers (a hung application)
  badsrv.py full PORT  listens with backlog 0 and never accepts (an
                       overloaded server); once ../hold.py has filled its
                       accept queue, further SYNs are dropped
Both run until killed (the test bounds them)."""
import socket
import sys
import threading
import time


def hung(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    held = []

    def drain(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass

    while True:
        c, _ = s.accept()
        held.append(c)  # never closed, never answered
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def full(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(0)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    {"hung": hung, "full": full}[sys.argv[1]](int(sys.argv[2]))
