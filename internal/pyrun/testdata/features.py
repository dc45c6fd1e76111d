# Exercises the RDD API on gospark and checks every answer against plain
# Python. Prints "features OK" at the end; any mismatch raises.
import os
import sys
import tempfile
from collections import Counter, defaultdict
from operator import add

from pyspark import StorageLevel, TaskContext
from pyspark.sql import SparkSession


def check(name, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (name, got, want))


spark = SparkSession.builder.appName("features").config("spark.default.parallelism", "3").getOrCreate()
sc = spark.sparkContext
check("defaultParallelism", sc.defaultParallelism, 3)

data = list(range(1000))
rdd = sc.parallelize(data, 4)
check("getNumPartitions", rdd.getNumPartitions(), 4)
check("collect", rdd.collect(), data)
check("count", rdd.count(), 1000)
check("sum", rdd.sum(), sum(data))
check("map/filter", rdd.map(lambda x: x * 2).filter(lambda x: x % 3 == 0).collect(),
      [x * 2 for x in data if (x * 2) % 3 == 0])
check("flatMap", sc.parallelize(["a b", "c"]).flatMap(lambda s: s.split()).collect(), ["a", "b", "c"])
check("mapPartitions", rdd.mapPartitions(lambda it: [sum(1 for _ in it)]).collect(), [250] * 4)
check("glom", [len(p) for p in rdd.glom().collect()], [250] * 4)
check("take", rdd.take(5), [0, 1, 2, 3, 4])
check("take across partitions", rdd.take(600), data[:600])
check("first", rdd.first(), 0)
check("reduce", rdd.reduce(add), sum(data))
check("range", sc.range(5, 50, 5, 3).collect(), list(range(5, 50, 5)))
check("empty take", sc.parallelize([], 3).take(2), [])

words = ["w%d" % (i % 37) for i in range(2000)]
pairs = sc.parallelize(words, 5).map(lambda w: (w, 1))
check("reduceByKey", dict(pairs.reduceByKey(add).collect()), dict(Counter(words)))
check("reduceByKey partitions", pairs.reduceByKey(add, 7).getNumPartitions(), 7)
check("countByKey", dict(pairs.countByKey()), dict(Counter(words)))
groups = pairs.map(lambda kv: (kv[0], 2)).groupByKey().mapValues(lambda vs: sorted(vs)).collect()
check("groupByKey", dict(groups), {w: [2] * c for w, c in Counter(words).items()})
check("distinct", sorted(sc.parallelize(words, 4).distinct().collect()), sorted(set(words)))
check("mapValues", sorted(sc.parallelize([(1, 2), (3, 4)]).mapValues(lambda v: v + 1).collect()),
      [(1, 3), (3, 5)])

nums = [(i * 7919) % 1009 for i in range(3000)]
check("sortBy", sc.parallelize(nums, 6).sortBy(lambda x: x).collect(), sorted(nums))
check("sortBy desc", sc.parallelize(nums, 6).sortBy(lambda x: x, ascending=False, numPartitions=4).collect(),
      sorted(nums, reverse=True))
check("sortByKey", sc.parallelize([(x, str(x)) for x in nums], 3).sortByKey().keys().collect(), sorted(nums))

left = sc.parallelize([(1, "a"), (2, "b"), (2, "c"), (4, "d")], 2)
right = sc.parallelize([(2, "x"), (3, "y"), (4, "z"), (4, "w")], 3)
check("join", sorted(left.join(right).collect()),
      sorted([(2, ("b", "x")), (2, ("c", "x")), (4, ("d", "z")), (4, ("d", "w"))]))
check("leftOuterJoin", sorted(left.leftOuterJoin(right).collect()),
      sorted([(1, ("a", None)), (2, ("b", "x")), (2, ("c", "x")), (4, ("d", "z")), (4, ("d", "w"))]))
check("rightOuterJoin", sorted(left.rightOuterJoin(right).collect(), key=str),
      sorted([(2, ("b", "x")), (2, ("c", "x")), (3, (None, "y")), (4, ("d", "z")), (4, ("d", "w"))], key=str))
check("fullOuterJoin", sorted(left.fullOuterJoin(right).collect(), key=str),
      sorted([(1, ("a", None)), (2, ("b", "x")), (2, ("c", "x")), (3, (None, "y")), (4, ("d", "z")), (4, ("d", "w"))], key=str))

u = sc.parallelize([1, 2], 2).union(sc.parallelize([3], 1))
check("union", u.collect(), [1, 2, 3])
check("union partitions", u.getNumPartitions(), 3)
check("coalesce", rdd.coalesce(2).getNumPartitions(), 2)
check("coalesce data", rdd.coalesce(2).collect(), data)
rep = rdd.repartition(7)
check("repartition", rep.getNumPartitions(), 7)
check("repartition data", sorted(rep.collect()), data)

# cache: a cached RDD's partitions are computed once; an accumulator counts
# the computations.
computed = sc.accumulator(0)


def counted(x):
    computed.add(1)
    return x


cached = sc.parallelize(data, 4).map(counted).cache()
check("cached count", cached.count(), 1000)
check("cached sum", cached.sum(), sum(data))
check("computed once", computed.value, 1000)
cached.unpersist()
check("after unpersist", cached.count(), 1000)
check("recomputed", computed.value, 2000)
disk = sc.parallelize(data, 2).map(lambda x: x + 1).persist(StorageLevel.DISK_ONLY)
check("disk", disk.sum(), sum(data) + 1000)

# foreach with an accumulator; broadcast.
acc = sc.accumulator(0)
sc.parallelize(data, 3).foreach(lambda x: acc.add(x))
check("foreach accumulator", acc.value, sum(data))
table = sc.broadcast({i: i * i for i in range(100)})
check("broadcast", sc.parallelize(range(100), 3).map(lambda i: table.value[i]).sum(), sum(i * i for i in range(100)))
check("task context", sorted(set(sc.parallelize(data, 4).map(lambda _: TaskContext.get().partitionId()).collect())),
      [0, 1, 2, 3])

# saveAsTextFile, then read it back with textFile and spark.read.text.
out = os.path.join(tempfile.mkdtemp(), "out")
sc.parallelize([(w, c) for w, c in sorted(Counter(words).items())], 3).saveAsTextFile(out)
check("_SUCCESS", os.path.exists(os.path.join(out, "_SUCCESS")), True)
check("part files", sorted(f for f in os.listdir(out) if f.startswith("part-")),
      ["part-00000", "part-00001", "part-00002"])
back = sc.textFile(out).collect()
check("textFile", sorted(back), sorted(str((w, c)) for w, c in Counter(words).items()))
rows = spark.read.text(out).rdd
check("read.text", sorted(r.value for r in rows.collect()), sorted(back))
# Partitions: textFile's a split per file (Hadoop's); read.text's as Spark
# SQL packs files (spark.sql.files.*): 6 small files and their 4 MiB open
# costs over the default parallelism (3), 2 files in a partition.
out6 = os.path.join(tempfile.mkdtemp(), "out6")
sc.parallelize(range(60), 6).saveAsTextFile(out6)
check("textFile partitions", sc.textFile(out6).getNumPartitions(), 6)
check("read.text partitions", spark.read.text(out6).rdd.getNumPartitions(), 3)
check("read.text r[0] partitions", spark.read.text(out6).rdd.map(lambda r: r[0]).getNumPartitions(), 3)
check("read.text lines", sorted(spark.read.text(out6).rdd.map(lambda r: int(r[0])).collect()), list(range(60)))
check("read.text r[0]", sorted(rows.map(lambda r: r[0]).collect()), sorted(back))
# The maps that take the row's field read the lines without rows; others
# get the rows.
check("read.text r.value", sorted(rows.map(lambda r: r.value).collect()), sorted(back))
check("read.text r['value']", sorted(rows.map(lambda r: r["value"]).collect()), sorted(back))
check("read.text r[-1]", sorted(rows.map(lambda r: r[-1]).collect()), sorted(back))
check("read.text len(r)", rows.map(lambda r: len(r)).distinct().collect(), [1])
check("read.text r[0][:2]", sorted(rows.map(lambda r: r[0][:2]).collect()), sorted(b[:2] for b in back))
check("read.text type", set(rows.map(lambda r: type(r).__name__).collect()), {"_TextRow"})
rows.cache()
check("read.text cached r[0]", sorted(rows.map(lambda r: r[0]).collect()), sorted(back))
try:
    rows.map(lambda r: r[1]).collect()
    check("read.text r[1] raises", False, True)
except Exception as e:
    check("read.text r[1] raises IndexError", "IndexError" in str(e), True)

spark.stop()
print("features OK")
