"""SparkContext: the Python program's handle on the Go driver."""
import os
import shutil
import sys
import tempfile
import threading

from pyspark import accumulators
from pyspark.accumulators import Accumulator
from pyspark.broadcast import Broadcast
from pyspark.conf import SparkConf
from pyspark.rdd import RDD, SourceRDD
from pyspark.serializers import dumps
from pyspark._gateway import Gateway


class SparkContext:
    _active_spark_context = None
    _lock = threading.RLock()
    _next_accum_id = 0

    def __init__(self, master=None, appName=None, sparkHome=None, pyFiles=None, environment=None,
                 batchSize=0, serializer=None, conf=None, gateway=None, jsc=None, profiler_cls=None):
        with SparkContext._lock:
            if SparkContext._active_spark_context is not None:
                raise ValueError("Cannot run multiple SparkContexts at once; existing SparkContext(app=%s, master=%s)"
                                 % (SparkContext._active_spark_context.appName,
                                    SparkContext._active_spark_context.master))
            self._conf = conf or SparkConf()
            if master:
                self._conf.setMaster(master)
            if appName:
                self._conf.setAppName(appName)
            self._gw = gateway or Gateway()
            self._gw.on_accumulators = accumulators._merge_updates
            resp, _ = self._gw.call("start", conf=dict(self._conf.getAll()))
            self.master = resp.get("master")
            self.appName = resp.get("appName")
            self.applicationId = resp.get("appId")
            self._explicit_parallelism = bool(resp.get("explicitParallelism"))
            self._stopped = False
            self._pyfiles_dir = None
            SparkContext._active_spark_context = self
            for f in pyFiles or ():
                self.addPyFile(f)

    @classmethod
    def getOrCreate(cls, conf=None):
        with cls._lock:
            if cls._active_spark_context is None:
                SparkContext(conf=conf or SparkConf())
            return cls._active_spark_context

    @property
    def defaultParallelism(self):
        resp, _ = self._gw.call("parallelism")
        return resp["parallelism"]

    @property
    def defaultMinPartitions(self):
        return min(self.defaultParallelism, 2)

    @property
    def version(self):
        import pyspark
        return pyspark.__version__

    def getConf(self):
        c = SparkConf()
        c.setAll(self._conf.getAll())
        return c

    def setLogLevel(self, logLevel):
        pass

    def parallelize(self, c, numSlices=None):
        """Distributes a local collection over numSlices partitions (the
        default parallelism when None). A range is split into sub-ranges,
        so it is never materialized on the driver."""
        numSlices = int(numSlices) if numSlices is not None else self.defaultParallelism
        if numSlices < 1:
            raise ValueError("numSlices must be at least 1, got %d" % numSlices)
        if isinstance(c, range):
            size = len(c)
            step = c.step
            start0 = c.start

            def getStart(split):
                return start0 + (split * size // numSlices) * step

            def sub(split):
                return range(getStart(split), getStart(split + 1), step)

            blobs = [dumps([sub(i)]) for i in range(numSlices)]
            return SourceRDD(self, "parallelize", blobs=blobs).flatMap(lambda r: r)
        if not isinstance(c, list):
            c = list(c)
        n = len(c)
        blobs = [dumps(c[i * n // numSlices:(i + 1) * n // numSlices]) for i in range(numSlices)]
        return SourceRDD(self, "parallelize", blobs=blobs)

    def range(self, start, end=None, step=1, numSlices=None):
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def emptyRDD(self):
        return self.parallelize([], 1)

    def textFile(self, name, minPartitions=None, use_unicode=True):
        """The lines of text files (a path, directory, glob or
        comma-separated list), as str."""
        minPartitions = minPartitions or self.defaultMinPartitions
        return SourceRDD(self, "textFile", path=str(name), minPartitions=int(minPartitions))

    def union(self, rdds):
        rdds = list(rdds)
        out = rdds[0]
        for r in rdds[1:]:
            out = out.union(r)
        return out

    def broadcast(self, value):
        return Broadcast(self, value)

    def accumulator(self, value, accum_param=None):
        if accum_param is None:
            if isinstance(value, int):
                accum_param = accumulators.INT_ACCUMULATOR_PARAM
            elif isinstance(value, float):
                accum_param = accumulators.FLOAT_ACCUMULATOR_PARAM
            elif isinstance(value, complex):
                accum_param = accumulators.COMPLEX_ACCUMULATOR_PARAM
            else:
                raise TypeError("No default accumulator param for type %s" % type(value))
        SparkContext._next_accum_id += 1
        return Accumulator(SparkContext._next_accum_id, value, accum_param)

    def addPyFile(self, path):
        """Puts a .py, .zip or .egg on the path of this program and of every
        Python worker of later stages."""
        path = str(path)
        for scheme in ("file://", "local://"):
            if path.startswith(scheme):
                path = path[len(scheme):]
        if not os.path.isfile(path):
            raise FileNotFoundError("addPyFile: %s: no such file" % path)
        self._gw.call("addPyFile", path=os.path.abspath(path))
        if path.endswith(".py"):
            if self._pyfiles_dir is None:
                self._pyfiles_dir = tempfile.mkdtemp(prefix="gospark-pyfiles-")
                sys.path.insert(1, self._pyfiles_dir)
            shutil.copy(path, self._pyfiles_dir)
        else:
            sys.path.insert(1, os.path.abspath(path))
        import importlib
        importlib.invalidate_caches()

    def stop(self):
        with SparkContext._lock:
            if not self._stopped:
                self._stopped = True
                try:
                    self._gw.call("stop")
                finally:
                    if self._pyfiles_dir:
                        shutil.rmtree(self._pyfiles_dir, ignore_errors=True)
            if SparkContext._active_spark_context is self:
                SparkContext._active_spark_context = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
