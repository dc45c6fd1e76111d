"""Checks "word: count" lines (stdin) against bench-data/text/expect.txt:
the number of distinct words, the total, and the three most frequent."""
import sys

expect = dict(kv.split("=", 1) for kv in open(sys.argv[1]).read().split()[1:])
counts = {}
for line in sys.stdin:
    w, _, n = line.rstrip("\n").rpartition(": ")
    counts[w] = counts.get(w, 0) + int(n)
top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
got = {"distinct": str(len(counts)), "total": str(sum(counts.values())),
       "top": ",".join("%s:%d" % kv for kv in top)}
bad = [k for k in got if got[k] != expect[k]]
if bad:
    sys.exit("wrong: %s; got %s, want %s" % (bad, got, {k: expect[k] for k in got}))
print("right: distinct=%s total=%s top=%s" % (got["distinct"], got["total"], got["top"]))
