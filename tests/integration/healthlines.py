#!/usr/bin/env python3
"""healthlines.py FILE: the health lines HAProxy and lbd send to syslog
(health checks, server transitions, empty backends) in FILE, each as
"<PRI> message" (the part after "tag[pid]: "), check durations written N,
once each, sorted: so that two daemons' sets compare with diff."""
import re
import sys

seen = set()
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"<(\d+)>.*?\[\d+\]: (.*)", l.rstrip("\n"))
    if not m:
        continue
    msg = re.sub(r"check duration: \d+ms", "check duration: Nms", m.group(2))
    if re.match(r"(Health check for|Server |Backup Server |backend )", msg):
        seen.add("<%s> %s" % (m.group(1), msg))
print("\n".join(sorted(seen)))
