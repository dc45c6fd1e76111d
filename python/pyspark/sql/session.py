"""SparkSession: the entry point, built with SparkSession.builder."""
import threading

from pyspark.conf import SparkConf
from pyspark.context import SparkContext
from pyspark.sql.dataframe import DataFrameReader


class _RuntimeConf:
    def __init__(self, sc):
        self._sc = sc

    def get(self, key, default=None):
        return self._sc._conf.get(key, default)

    def set(self, key, value):
        self._sc._conf.set(key, value)


class SparkSession:
    _instantiatedSession = None

    class Builder:
        _lock = threading.RLock()

        def __init__(self):
            self._options = {}

        def config(self, key=None, value=None, conf=None, map=None):
            with self._lock:
                if conf is not None:
                    for k, v in conf.getAll():
                        self._options[k] = str(v)
                if map is not None:
                    for k, v in map.items():
                        self._options[k] = str(v)
                if key is not None:
                    self._options[key] = str(value)
                return self

        def master(self, master):
            return self.config("spark.master", master)

        def appName(self, name):
            return self.config("spark.app.name", name)

        def enableHiveSupport(self):
            return self

        def getOrCreate(self):
            with self._lock:
                session = SparkSession._instantiatedSession
                if session is None or session._sc._stopped:
                    conf = SparkConf()
                    for k, v in self._options.items():
                        conf.set(k, v)
                    sc = SparkContext.getOrCreate(conf)
                    session = SparkSession(sc)
                return session

    builder = None

    def __init__(self, sparkContext):
        self._sc = sparkContext
        SparkSession._instantiatedSession = self

    @property
    def sparkContext(self):
        return self._sc

    @property
    def read(self):
        return DataFrameReader(self)

    @property
    def conf(self):
        return _RuntimeConf(self._sc)

    @property
    def version(self):
        return self._sc.version

    def stop(self):
        self._sc.stop()
        SparkSession._instantiatedSession = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _BuilderProperty:
    def __get__(self, instance, owner):
        return SparkSession.Builder()


SparkSession.builder = _BuilderProperty()
