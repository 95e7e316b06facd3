#!/usr/bin/env python3
"""Send hand-made VRRP packets to 224.0.0.18 from this namespace's eth0.

usage: inject.py KIND [COUNT]
KIND: good200 | badauth | ttl254 | badsum | v3 | vrid | naddr | short | type2 | garbage
Every packet is VRRP v2, VRID 11, auth PASS "lab1pass", VIP 10.77.0.100,
except for what KIND breaks."""
import os, socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def v2(prio=100, vrid=11, ver=2, typ=1, addrs=(b"\x0a\x4d\x00\x64",), auth=b"lab1pass", count=None):
    n = len(addrs) if count is None else count
    hdr = struct.pack("!BBBBBBH", ver << 4 | typ, vrid, prio, n, 1, 1, 0)
    body = hdr + b"".join(addrs) + auth
    c = csum(body)
    return body[:6] + struct.pack("!H", c) + body[8:]

kind = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
ttl = 255
if kind == "good200":
    pkt = v2(prio=200)
elif kind == "badauth":
    pkt = v2(auth=b"wrongpw!")
elif kind == "ttl254":
    pkt, ttl = v2(), 254
elif kind == "badsum":
    p = bytearray(v2()); p[7] ^= 0xFF; pkt = bytes(p)
elif kind == "v3":
    # a well-formed v3 advert (pseudo-header checksum) to a v2 instance
    body = struct.pack("!BBBBH", 0x31, 11, 100, 1, 100) + b"\0\0" + b"\x0a\x4d\x00\x64"
    ph = socket.inet_aton("10.77.0.30") + socket.inet_aton("224.0.0.18") + struct.pack("!BBH", 0, 112, len(body))
    pkt = body[:6] + struct.pack("!H", csum(ph + body)) + body[8:]
elif kind == "vrid":
    pkt = v2(vrid=12)
elif kind == "naddr":
    pkt = v2(addrs=(b"\x0a\x4d\x00\x64", b"\x0a\x4d\x00\x65"))
elif kind == "short":
    pkt = v2(count=3)
elif kind == "type2":
    pkt = v2(typ=2)
elif kind == "garbage":
    pkt = os.urandom(3)
else:
    sys.exit("unknown kind " + kind)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
for _ in range(count):
    s.sendto(pkt, ("224.0.0.18", 0))
