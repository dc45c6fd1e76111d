# Prints a line, then runs a job whose task waits until the file named by
# its argument exists: the test creates it when it has read the line, so
# the job ends only if the line was not held in a buffer.
import os
import sys
import time

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("flush").getOrCreate()
go = sys.argv[1]
print("waiting for", go)


def wait(_):
    for _ in range(1200):
        if os.path.exists(go):
            return "released"
        time.sleep(0.1)
    return "timed out"


print(spark.sparkContext.parallelize([0], 1).map(wait).collect()[0])
spark.stop()
