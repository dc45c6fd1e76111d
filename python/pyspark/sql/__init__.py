"""The part of pyspark.sql that RDD programs use: SparkSession, Row and
spark.read.text(...).rdd."""
from pyspark.sql.session import SparkSession
from pyspark.sql.types import Row
from pyspark.sql.dataframe import DataFrame

__all__ = ["SparkSession", "Row", "DataFrame"]
