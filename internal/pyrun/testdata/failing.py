# A task that fails: "raise" raises in every attempt, "kill-once" kills its
# own worker in the first attempt of partition 1 only, "kill" in every
# attempt. Prints the job's result or the error the driver reported.
import os
import sys

from pyspark import TaskContext
from pyspark.sql import SparkSession

mode = sys.argv[1]
spark = SparkSession.builder.appName("failing").getOrCreate()
sc = spark.sparkContext


def step(x):
    ctx = TaskContext.get()
    if ctx.partitionId() == 1:
        if mode == "raise":
            raise ValueError("bad record %d" % x)
        if mode == "kill" or (mode == "kill-once" and ctx.attemptNumber() == 0):
            os.kill(os.getpid(), 9)
    return x


try:
    print("sum=%d" % sc.parallelize(range(100), 2).map(step).sum())
except Exception as e:
    print("job failed: %s: %s" % (type(e).__name__, e))
    sys.exit(3)
finally:
    spark.stop()
