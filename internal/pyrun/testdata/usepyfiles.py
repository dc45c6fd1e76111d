# Uses, inside tasks, a module from a .py and one from a .zip given with
# --py-files, and one added with sc.addPyFile.
import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("pyfiles").getOrCreate()
sc = spark.sparkContext
sc.addPyFile(sys.argv[1])


def f(x):
    import helper
    import zipped
    import added
    return helper.triple(x) + zipped.plus_one(x) + added.minus(x)


print("pyfiles=%d" % sc.parallelize(range(10), 3).map(f).sum())
spark.stop()
