#!/usr/bin/env python3
"""Client side of the accept_proxy test: ppsend.py PORT CASE connects to
127.0.0.1:PORT, sends the bytes of CASE (below: a PROXY header, then what
the client says), and prints what came back until the peer closed (at most
4 s) or answered "ok\n" (the tcp server), as one line: "closed" when
nothing came, else the bytes (repr; an HTTP response: its status line and
body)."""
import socket
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xffffffff


def v2(cmd, fam, body):
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body


def a4(s, d, sp, dp):
    return socket.inet_aton(s) + socket.inet_aton(d) + struct.pack("!HH", sp, dp)


def a6(s, d, sp, dp):
    return (socket.inet_pton(socket.AF_INET6, s) + socket.inet_pton(socket.AF_INET6, d) +
            struct.pack("!HH", sp, dp))


def with_crc(good):
    body = a4("192.0.2.33", "198.51.100.9", 40033, 8033) + b"\x04\x00\x04" + bytes(4)
    h = bytearray(v2(1, 0x11, body))
    h[-4:] = struct.pack("!I", crc32c(bytes(h)) ^ (0 if good else 1))
    return bytes(h)


GET = b"GET /pp HTTP/1.1\r\nHost: pp.test\r\nConnection: close\r\n\r\n"
TLV = b"\x02\x00\x07pp.test" + b"\x05\x00\x03abc"
CASES = {
    # tcp frontend: "hello\n" after the header, the server answers "ok\n"
    "t_v1_tcp4": [b"PROXY TCP4 192.0.2.10 198.51.100.20 40010 8010\r\nhello\n"],
    "t_v1_tcp6": [b"PROXY TCP6 2001:db8::10 2001:db8::20 40011 8011\r\nhello\n"],
    "t_v1_unknown": [b"PROXY UNKNOWN\r\nhello\n"],
    "t_v2_tcp4": [v2(1, 0x11, a4("192.0.2.12", "198.51.100.22", 40012, 8012)) + b"hello\n"],
    "t_v2_tcp6": [v2(1, 0x21, a6("2001:db8::13", "2001:db8::23", 40013, 8013)) + b"hello\n"],
    "t_v2_tlv": [v2(1, 0x11, a4("192.0.2.14", "198.51.100.24", 40014, 8014) + TLV) + b"hello\n"],
    "t_v2_local": [v2(0, 0x00, b"") + b"hello\n"],
    "t_v2_unix": [v2(1, 0x31, bytes(216)) + b"hello\n"],
    "t_v2_crc_ok": [with_crc(True) + b"hello\n"],
    # HAProxy 2.6 does not check the CRC32C TLV
    "t_v2_crc_bad": [with_crc(False) + b"hello\n"],
    "t_v2_tlv_cut": [v2(1, 0x11, a4("192.0.2.15", "198.51.100.25", 1, 2) + b"\x02\x00\x09pp") + b"hello\n"],
    "t_v2_badcmd": [v2(2, 0x11, a4("192.0.2.16", "198.51.100.26", 1, 2)) + b"hello\n"],
    "t_v1_port0": [b"PROXY TCP4 192.0.2.17 198.51.100.27 0 8017\r\nhello\n"],
    "t_v1_port_big": [b"PROXY TCP4 192.0.2.17 198.51.100.27 70000 8017\r\nhello\n"],
    "t_v1_port_sign": [b"PROXY TCP4 192.0.2.17 198.51.100.27 +5 8017\r\nhello\n"],
    "t_v1_space2": [b"PROXY TCP4 192.0.2.17  198.51.100.27 5 8017\r\nhello\n"],
    "t_v1_6_port0": [b"PROXY TCP6 2001:db8::1 2001:db8::2 0 8017\r\nhello\n"],
    "t_v1_6_v4": [b"PROXY TCP6 192.0.2.1 2001:db8::2 1 8017\r\nhello\n"],
    "t_v2_auth_long": [v2(1, 0x11, a4("192.0.2.34", "198.51.100.9", 1, 2) + b"\x02\x01\x2c" + b"a" * 300) + b"hello\n"],
    "t_v2_uid_long": [v2(1, 0x11, a4("192.0.2.35", "198.51.100.9", 1, 2) + b"\x05\x00\xc8" + b"u" * 200) + b"hello\n"],
    "t_v2_crc_len": [v2(1, 0x11, a4("192.0.2.36", "198.51.100.9", 1, 2) + b"\x04\x00\x02ab") + b"hello\n"],
    "t_v2_short4": [v2(1, 0x11, socket.inet_aton("192.0.2.37")) + b"hello\n"],
    "t_v2_ver1": [SIG + b"\x11\x11\x00\x0c" + a4("192.0.2.38", "198.51.100.9", 1, 2) + b"hello\n"],
    "t_v1_fam": [b"PROXY TCP4 2001:db8::1 198.51.100.27 1 8017\r\nhello\n"],
    "t_v1_udp": [b"PROXY UDP4 192.0.2.18 198.51.100.28 1 2\r\nhello\n"],
    "t_v1_unknown_long": [b"PROXY UNKNOWN 192.0.2.19 198.51.100.29 1 2\r\nhello\n"],
    "t_v1_nocrlf": [b"PROXY TCP4 192.0.2.20 198.51.100.30 1 2\rhello\n"],
    "t_plain": [b"hello there, no header\n"],
    "t_split": [b"PROXY TCP4 192.0.2.21", b" 198.51.100.31 40021 8021\r\nhello\n"],
    "t_empty": [],
    "t_silent": None,
    # http frontend
    "h_v1": [b"PROXY TCP4 192.0.2.40 198.51.100.50 40040 8040\r\n" + GET],
    "h_v2": [v2(1, 0x21, a6("2001:db8::41", "2001:db8::51", 40041, 8041)) + GET],
    "h_deny": [b"PROXY TCP4 203.0.113.66 198.51.100.50 40042 8040\r\n" + GET],
    "h_plain": [GET],
}

port, case = int(sys.argv[1]), sys.argv[2]
parts = CASES[case]
s = socket.create_connection(("127.0.0.1", port), timeout=4)
if parts is None:
    pass  # says nothing: the frontend's timeout client closes it
elif not parts:
    s.close()
    print("closed")
    sys.exit(0)
try:
    for i, p in enumerate(parts or []):
        if i:
            time.sleep(0.3)
        s.sendall(p)
except OSError:
    pass  # closed on the first part
got = b""
t0 = time.time()
try:
    while time.time() - t0 < 4:
        b = s.recv(65536)
        if not b:
            break
        got += b
        if got == b"ok\n":
            break  # the tcp server's answer: done
except OSError:
    pass
s.close()
if got.startswith(b"HTTP/"):
    # status line and body: the echo server's JSON names what was forwarded
    head, _, body = got.partition(b"\r\n\r\n")
    got = head.split(b"\r\n")[0] + b" " + body
print(repr(got) if got else "closed")
