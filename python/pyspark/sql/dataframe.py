"""DataFrame: only what RDD programs use — a text source's rows as an RDD."""


class DataFrame:
    def __init__(self, rdd, columns):
        self._rdd = rdd
        self.columns = columns

    @property
    def rdd(self):
        return self._rdd

    def collect(self):
        return self._rdd.collect()

    def count(self):
        return self._rdd.count()

    def take(self, n):
        return self._rdd.take(n)

    def first(self):
        return self._rdd.first()

    def show(self, n=20, truncate=True):
        rows = self._rdd.take(n)
        print("+" + "-" * 20 + "+")
        for r in rows:
            print("|%s|" % ", ".join(str(v) for v in r))
        print("+" + "-" * 20 + "+")


class DataFrameReader:
    def __init__(self, spark):
        self._spark = spark

    def text(self, paths, wholetext=False, lineSep=None):
        """Rows with one column, value: the lines of the text files."""
        from pyspark.sql.types import _text_rows
        if wholetext or lineSep is not None:
            raise NotImplementedError("read.text: wholetext and lineSep are not supported by gospark")
        if isinstance(paths, (list, tuple)):
            paths = ",".join(paths)
        return DataFrame(self._spark.sparkContext.textFile(paths).mapPartitions(_text_rows), ["value"])
