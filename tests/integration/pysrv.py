"""pysrv.py - what the Python servers of the integration tests share: the
listening socket and the accept loop, each connection handled on its own
thread (a slow or stuck client must not hold up the others). lib.sh puts
this directory on PYTHONPATH, so a test's inline server does
"import pysrv"."""
import socket
import threading


def tcp(port, host="127.0.0.1"):
    """A listening TCP socket on host:port (SO_REUSEADDR: reruns reuse it)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(64)
    return s


def unix(path):
    """A listening UNIX stream socket at path."""
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(64)
    return s


def serve(sock, handler, *args):
    """Accept on sock in a background thread; handler(conn, peer, *args)
    runs on a thread of its own per connection and closes conn."""
    def loop():
        while True:
            c, peer = sock.accept()
            threading.Thread(target=handler, args=(c, peer) + args, daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def forever():
    """Keep the process (and its server threads) alive until killed."""
    threading.Event().wait()
