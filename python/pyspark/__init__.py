"""gospark's PySpark: the part of PySpark's API that RDD programs use, run by
gospark's Go engine (driver, executors and shuffle) instead of the JVM.

The Python program builds RDD lineage and does all per-record work; the
Go driver (gospark-py) schedules it. See docs/python.md.
"""

from pyspark.conf import SparkConf
from pyspark.context import SparkContext
from pyspark.rdd import RDD
from pyspark.storagelevel import StorageLevel
from pyspark.broadcast import Broadcast
from pyspark.accumulators import Accumulator, AccumulatorParam
from pyspark.taskcontext import TaskContext
from pyspark.files import SparkFiles

__version__ = "3.5.0+gospark"

__all__ = ["SparkConf", "SparkContext", "RDD", "StorageLevel", "Broadcast",
           "Accumulator", "AccumulatorParam", "TaskContext", "SparkFiles"]
