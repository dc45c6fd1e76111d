#
# Counts the words (separated by single spaces) of a text file and prints
# "word: count" lines, as Spark's examples/src/main/python/wordcount.py.
#
# Usage: wordcount.py <file>
#
import sys
from operator import add

from pyspark.sql import SparkSession


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("Usage: wordcount <file>", file=sys.stderr)
        sys.exit(-1)

    spark = SparkSession.builder.appName("PythonWordCount").getOrCreate()

    lines = spark.read.text(sys.argv[1]).rdd.map(lambda r: r[0])
    counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(add)
    for (word, count) in counts.collect():
        print("%s: %i" % (word, count))

    spark.stop()
