"""DataFrame: only what RDD programs use — a text source's rows as an RDD."""
from pyspark import _codes
from pyspark.rdd import PipelinedRDD, SourceRDD
from pyspark.sql.types import _text_rows


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
        if wholetext or lineSep is not None:
            raise NotImplementedError("read.text: wholetext and lineSep are not supported by gospark")
        if isinstance(paths, (list, tuple)):
            paths = ",".join(paths)
        # Partitioned as Spark SQL's file sources are (spark.sql.files.*),
        # not as textFile's Hadoop splits.
        lines = SourceRDD(self._spark.sparkContext, "textFile", path=str(paths), packed=True)
        return DataFrame(_TextRows(lines), ["value"])


def _rows(_, lines):
    return _text_rows(lines)


def _takes_the_line(f):
    """Whether f(row) is the row's one field, value: row[0], row[-1],
    row["value"] or row.value."""
    what = _codes.item_or_attribute(f)
    if what is None:
        return False
    kind, k = what
    if kind == "attr" or type(k) is str:
        return k == "value"
    return type(k) is int and k in (0, -1)


class _TextRows(PipelinedRDD):
    """The rows of read.text. Mapped to their one field (the usual
    `.rdd.map(lambda r: r[0])`), they are the lines of the text: that map
    is the text source itself, with no row made per line."""

    def __init__(self, lines):
        PipelinedRDD.__init__(self, lines, _rows)
        self._lines = lines

    def map(self, f, preservesPartitioning=False):
        if self._level is None and _takes_the_line(f):
            src = self._lines
            return SourceRDD(src.ctx, "textFile", path=src._path, minPartitions=src._minPartitions,
                             packed=src._packed)
        return PipelinedRDD.map(self, f, preservesPartitioning)
