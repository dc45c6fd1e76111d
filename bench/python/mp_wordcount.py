"""The plain-Python baseline of the word count benchmark: a multiprocessing
pool of N processes (default 2), each counting the words (split on single
spaces, as Spark's wordcount.py) of whole input files, merged in the
parent; prints "word: count" lines.

Usage: mp_wordcount.py <dir-or-file> [processes]"""
import os
import sys
from collections import Counter
from multiprocessing import Pool


def count_file(path):
    c = Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            c.update(line.rstrip("\n").split(" "))
    return c


def main():
    src = sys.argv[1]
    procs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    if os.path.isdir(src):
        files = sorted(os.path.join(src, f) for f in os.listdir(src) if f.startswith("part-"))
    else:
        files = [src]
    total = Counter()
    with Pool(procs) as pool:
        for c in pool.imap_unordered(count_file, files):
            total.update(c)
    out = sys.stdout
    for w, n in total.items():
        out.write("%s: %i\n" % (w, n))


if __name__ == "__main__":
    main()
