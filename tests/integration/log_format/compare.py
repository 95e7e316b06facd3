#!/usr/bin/env python3
"""Compare lbd's and HAProxy's log lines field by field.

compare.py LBD_FILE HA_FILE TAG MASK
Lines whose message starts with TAG are taken from each file (syslog
header dropped) in order. Each line is cut into its digit runs and the text
between them: the text must be equal, and every digit run too except the
ones whose index is in MASK (comma-separated: timers, ports, dates, pids),
which only have to be numbers in both. MASK "hex" (for IDs built with
%{+X}): each run of hexadecimal digits need only have the same length,
except those of exactly 4 digits following "_" (%rt), which must be equal.
Prints one line per difference;
exit 1 if any, 2 if the line counts differ."""
import re
import sys

HDR = re.compile(r"^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d |1 \S+ \S+ )?(\S+\[\d+\]: )?")


def lines(path, tag):
    out = []
    with open(path, errors="replace") as f:
        for ln in f:
            m = HDR.sub("", ln.rstrip("\n"), count=1)
            if m.startswith(tag):
                out.append(m)
    return out


def main():
    a, b = lines(sys.argv[1], sys.argv[3]), lines(sys.argv[2], sys.argv[3])
    if sys.argv[4] == "hex":
        def shape(x):
            return re.sub(r"(?<!_)[0-9A-F]+|(?<=_)[0-9A-F]{5,}|(?<=_)[0-9A-F]{1,3}(?![0-9A-F])",
                          lambda m: "H" * len(m.group(0)), x)
        bad = sum(1 for la, lb in zip(a, b) if shape(la) != shape(lb))
        for la, lb in zip(a, b):
            if shape(la) != shape(lb):
                print("differs:\n  lbd: %s\n  ha:  %s" % (la, lb))
        print("%d line(s) compared, %d difference(s)" % (len(a), bad))
        return 1 if bad else 0
    mask = {int(x) for x in sys.argv[4].split(",") if x}
    if len(a) != len(b) or not a:
        print("line count: lbd %d, haproxy %d" % (len(a), len(b)))
        return 2
    bad = 0
    for la, lb in zip(a, b):
        ta, tb = re.split(r"(\d+)", la), re.split(r"(\d+)", lb)
        if len(ta) != len(tb):
            print("shape differs:\n  lbd: %s\n  ha:  %s" % (la, lb))
            bad += 1
            continue
        for i, (x, y) in enumerate(zip(ta, tb)):
            n = i // 2
            if i % 2 == 0 and x != y:
                print("text %r != %r in\n  lbd: %s\n  ha:  %s" % (x, y, la, lb))
                bad += 1
            elif i % 2 == 1 and x != y and n not in mask:
                print("number #%d: lbd %s, haproxy %s in\n  lbd: %s\n  ha:  %s" % (n, x, y, la, lb))
                bad += 1
    print("%d line(s) compared, %d difference(s)" % (len(a), bad))
    return 1 if bad else 0


sys.exit(main())
