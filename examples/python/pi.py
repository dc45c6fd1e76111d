#
# Estimates pi by throwing random points at the unit square and counting
# those inside the unit circle, as Spark's examples/src/main/python/pi.py.
#
# Usage: pi.py [partitions]
#
import sys
from random import random
from operator import add

from pyspark.sql import SparkSession


if __name__ == "__main__":
    spark = SparkSession.builder.appName("PythonPi").getOrCreate()

    partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    n = 100000 * partitions

    def inside(_: int) -> int:
        x = random() * 2 - 1
        y = random() * 2 - 1
        return 1 if x * x + y * y <= 1 else 0

    count = spark.sparkContext.parallelize(range(1, n + 1), partitions).map(inside).reduce(add)
    print("Pi is roughly %f" % (4.0 * count / n))

    spark.stop()
