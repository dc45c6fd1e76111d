# Prints how long the workers that run the first job's tasks have existed:
# the driver program waits 1.5 s before that job.
import os
import time

from pyspark.sql import SparkSession


def age(_):
    """Seconds since this process started (/proc/self/stat's starttime)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - started


spark = SparkSession.builder.appName("prestart").getOrCreate()
time.sleep(1.5)
ages = spark.sparkContext.parallelize(range(2), 2).map(age).collect()
print("worker ages: " + " ".join("%.2f" % a for a in ages))
spark.stop()
