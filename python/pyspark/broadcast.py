"""Broadcast variables: a value pickled once on the driver, shipped once to
each Python worker that runs a function reading it."""
import pickle
import threading

from pyspark.serializers import dumps

# Broadcast ids pickled while a function is being pickled (driver), and the
# pickled values a worker was sent (worker).
_pickled = threading.local()
_worker_values = {}
_worker_cache = {}


def _from_id(bid):
    b = Broadcast.__new__(Broadcast)
    b._id = bid
    b._local = False
    return b


class Broadcast:
    def __init__(self, sc=None, value=None, _id=None):
        self._sc = sc
        self._value = value
        self._local = True
        if sc is not None:
            resp, _ = sc._gw.call("broadcast", blobs=[dumps(value)])
            self._id = resp["id"]

    @property
    def value(self):
        if self._local:
            return self._value
        if self._id not in _worker_cache:
            if self._id not in _worker_values:
                raise RuntimeError("broadcast %d was not sent to this worker" % self._id)
            _worker_cache[self._id] = pickle.loads(_worker_values[self._id])
        return _worker_cache[self._id]

    def unpersist(self, blocking=False):
        pass

    def destroy(self, blocking=False):
        self._value = None

    def __reduce__(self):
        ids = getattr(_pickled, "ids", None)
        if ids is not None:
            ids.add(self._id)
        return _from_id, (self._id,)
