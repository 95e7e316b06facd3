#!/usr/bin/env python3
"""A tiny authoritative DNS server for the resolvers test (dnslib, Debian's
python3-dnslib). Usage: dnsd.py PORT ZONE.json

ZONE.json is read again for every query, so the test changes answers by
rewriting it: {"name.": {"A": ["127.0.0.2"], "AAAA": [], "SRV": [[prio,
weight, port, "target."]]}}. A name absent from the file is NXDOMAIN; a
present name without records of the asked type is an empty NOERROR. Every
query is appended to ZONE.json.log (name and type) so the test can see who
asked what."""
import json
import sys

from dnslib import AAAA, QTYPE, RCODE, RR, SRV, A
from dnslib.server import BaseResolver, DNSServer


class ZoneResolver(BaseResolver):
    def __init__(self, path):
        self.path = path

    def zone(self):
        try:
            with open(self.path) as f:
                return {k.lower(): v for k, v in json.load(f).items()}
        except (OSError, ValueError):
            return {}

    def resolve(self, request, handler):
        reply = request.reply()
        q = request.q
        name = str(q.qname).lower()
        qtype = QTYPE[q.qtype]
        with open(self.path + ".log", "a") as log:
            log.write(f"{name} {qtype}\n")
        z = self.zone()
        if name not in z:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        rec = z[name]
        ttl = 1
        if qtype in ("A", "ANY"):
            for ip in rec.get("A", []):
                reply.add_answer(RR(q.qname, QTYPE.A, rdata=A(ip), ttl=ttl))
        if qtype in ("AAAA", "ANY"):
            for ip in rec.get("AAAA", []):
                reply.add_answer(RR(q.qname, QTYPE.AAAA, rdata=AAAA(ip), ttl=ttl))
        if qtype == "SRV":
            for prio, weight, port, target in rec.get("SRV", []):
                reply.add_answer(RR(q.qname, QTYPE.SRV, ttl=ttl,
                                    rdata=SRV(prio, weight, port, target)))
                for ip in z.get(target.lower(), {}).get("A", []):
                    reply.add_ar(RR(target, QTYPE.A, rdata=A(ip), ttl=ttl))
        return reply


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    server = DNSServer(ZoneResolver(path), address="127.0.0.1", port=port,
                       logger=NoLog())
    server.start()


class NoLog:
    def __getattr__(self, name):
        return lambda *a, **k: None


if __name__ == "__main__":
    main()
