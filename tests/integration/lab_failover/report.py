"""The failover table of lab_failover, from what the browser logged.
Usage: report.py PHASES REQUESTS ACTIONS
PHASES: "epoch name" per step the test took (the last one is "end").
REQUESTS: "epoch ok status" per HTTP exchange (ok: answered below 500).
ACTIONS: "start end kind name attempts ok" per add or delete.
Prints one row per step: actions started in it, the attempts that failed
(each was retried), the actions that needed a retry, the requests that
failed, and the longest time without a successful request overlapping the
step (how long the VIP was unreachable, as the browser saw it). Then one
line per step for the test to assert on: "CHECK name longest_ms
recovered" where recovered is 1 when an action started after the step and
finished, done, before the next one (the shop came back by itself)."""
import sys


def rows(path):
    return [line.split() for line in open(path).read().splitlines() if line.strip()]


def main():
    phases = [(float(t), " ".join(rest)) for t, *rest in rows(sys.argv[1])]
    good = sorted(float(r[0]) for r in rows(sys.argv[2]) if r[1] == "1")
    bad = [float(r[0]) for r in rows(sys.argv[2]) if r[1] != "1"]
    acts = [(float(a), float(b), k, n, int(m), o == "1") for a, b, k, n, m, o in rows(sys.argv[3])]
    print("%-16s %7s %15s %8s %15s %14s" % ("step", "actions", "failed attempts", "retried",
                                            "failed requests", "longest gap ms"))
    checks = []
    for (t0, name), (t1, _) in zip(phases, phases[1:]):
        mine = [x for x in acts if t0 <= x[0] < t1]
        # each gap between two successes, clipped to the step: a gap that
        # began just before a fault counts for the fault's step
        longest = 0.0
        for a, b in zip([t0] + good, good + [t1]):
            if b > t0 and a < t1:
                longest = max(longest, min(b, t1) - max(a, t0))
        recovered = any(x[0] >= t0 and x[1] < t1 and x[5] for x in acts)
        print("%-16s %7d %15d %8d %15d %14.0f" % (
            name, len(mine), sum(x[4] - 1 for x in mine), sum(1 for x in mine if x[4] > 1),
            sum(1 for t in bad if t0 <= t < t1), longest * 1000))
        checks.append("CHECK %s %.0f %d" % (name.replace(" ", "_"), longest * 1000, recovered))
    print("\n".join(checks))


if __name__ == "__main__":
    main()
