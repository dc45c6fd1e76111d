"""One map task of Spark's wordcount.py against plain Python on one file,
in one process, in turn, ROUNDS times: the worker's function for the
stage (built by the pyspark package at the given path, as the driver
builds it) over the file's lines in 64 KiB frames, writing its shuffle
output to memory, against bench/python/mp_wordcount.py's count_file.
Prints the CPU seconds of each (median, best) and the per-round ratios.

Usage: PYTHONHASHSEED=0 python3 bench/python/task_vs_plain.py <python dir> <text file> [rounds]
(<python dir> is a checkout's python/, holding the pyspark package; an
older one: git archive <rev> python | tar -x -C /tmp/old, then /tmp/old/python.)"""
import io
import os
import statistics
import sys
import time
from operator import add

sys.path.insert(0, os.path.abspath(sys.argv[1]))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mp_wordcount import count_file  # noqa: E402
from pyspark import worker  # noqa: E402
from pyspark.rdd import SourceRDD  # noqa: E402
try:
    from pyspark.sql.dataframe import _TextRows  # noqa: E402
except ImportError:  # a package before 3185eb8: read.text's rows, as it made them
    from pyspark.sql.types import _text_rows  # noqa: E402

    def _TextRows(src):
        return src.mapPartitions(_text_rows)

path = sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
data = open(path, "rb").read()
frames, i = [], 0
while i < len(data):
    j = data.find(b"\n", i + (64 << 10))
    j = len(data) if j < 0 else j
    frames.append(data[i:j].rstrip(b"\n"))
    i = j + 1

# The lineage of wordcount.py, on a text source that is never read: the
# frames above are its input.
rows = _TextRows(SourceRDD(None, "textFile", path=path))
lines = rows.map(lambda r: r[0])
counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(add, 8)
stage = counts
while getattr(stage, "_mode", None) != "partitioned":
    stage = stage.prev
func = stage.func


def task():
    out = io.BytesIO()
    worker.write_output(out, func(0, worker.records((f for f in frames), "lines")), "partitioned")


times = {"task": [], "plain": []}
for _ in range(rounds):
    for name, f in (("task", task), ("plain", lambda: count_file(path))):
        t = time.process_time()
        f()
        times[name].append(time.process_time() - t)
for name, ts in times.items():
    print("%-6s CPU median %.3f s, best %.3f s" % (name, statistics.median(ts), min(ts)))
ratios = sorted(a / b for a, b in zip(times["task"], times["plain"]))
print("task / plain per round: median %.2f (%s)" % (statistics.median(ratios), " ".join("%.2f" % r for r in ratios)))
