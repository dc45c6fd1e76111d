#
# Sorts the integers (separated by single spaces) of a text file and prints
# them one per line, as Spark's examples/src/main/python/sort.py.
#
# Usage: sort.py <file>
#
import sys

from pyspark.sql import SparkSession


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("Usage: sort <file>", file=sys.stderr)
        sys.exit(-1)

    spark = SparkSession.builder.appName("PythonSort").getOrCreate()

    lines = spark.read.text(sys.argv[1]).rdd.map(lambda r: r[0])
    sorted_count = lines.flatMap(lambda line: line.split(" ")).map(lambda n: (int(n), 1)).sortByKey()
    for (num, unitcount) in sorted_count.collect():
        print(num)

    spark.stop()
