"""RDD: a lazy, partitioned collection, as PySpark's.

Transformations build lineage in Python; an action sends the nodes the Go
driver has not seen yet (docs/python.md) and runs there. Per-record work is
Python, in workers on the executors: narrow transformations are composed
into one function per stage (PipelinedRDD), key-based ones combine in
Python and shuffle batches tagged with their partition, as PySpark does."""
import bisect
import heapq
import itertools
import operator
import os
import random
import sys
from collections import defaultdict, Counter
from functools import reduce as _reduce

try:
    import cloudpickle
except ImportError as e:  # pragma: no cover
    raise ImportError("gospark's pyspark needs cloudpickle in this Python (%s): install Debian's "
                      "python3-cloudpickle or `pip install cloudpickle`" % sys.executable) from e

from pyspark import broadcast, shuffle
from pyspark.serializers import PROTOCOL, dumps, load_frames
from pyspark.storagelevel import StorageLevel

__all__ = ["RDD", "portable_hash"]


def portable_hash(x):
    """A hash of x that is the same in every Python process with the same
    PYTHONHASHSEED (gospark's workers use 0 unless it is set), as PySpark's:
    None is 0, a tuple combines its items' hashes, anything else is
    hash(x)."""
    if x is None:
        return 0
    if isinstance(x, tuple):
        h = 0x345678
        for i in x:
            h ^= portable_hash(i)
            h *= 1000003
            h &= sys.maxsize
        h ^= len(x)
        if h == -1:
            h = -2
        return int(h)
    return hash(x)


class ResultIterable:
    """The values of one key after groupByKey."""

    def __init__(self, data):
        self.data = data
        self.maxindex = len(data)

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        return "ResultIterable(%r)" % (self.data,)


# Records a partitioned stage buffers before it writes them to the shuffle.
_SHUFFLE_BATCH = 100000

_none = object()


# The most partitions _bucket_str_pairs takes a pass over its records for.
_PASSES = 16
_first = operator.itemgetter(0)


def _bucket_str_pairs(chunk, n, buckets):
    """Appends each (key, value) pair of chunk to buckets[hash(key) % n],
    in C, when every record is a tuple of two with a str key (whose
    portable_hash is hash()) and n is at most _PASSES; reports whether it
    did."""
    if n > _PASSES or set(map(type, chunk)) != {tuple} or set(map(len, chunk)) != {2}:
        return False
    keys = list(map(_first, chunk))
    if set(map(type, keys)) != {str}:
        return False
    parts = list(map(operator.mod, map(hash, keys), itertools.repeat(n)))
    for p in range(n):
        buckets[p].extend(itertools.compress(chunk, map(operator.eq, parts, itertools.repeat(p))))
    return True


class RDD:
    _next_id = 0

    def __init__(self, ctx, mode="pickle"):
        RDD._next_id += 1
        self._rdd_id = RDD._next_id
        self.ctx = ctx
        self._mode = mode  # "pickle", "lines" or "partitioned"
        self._go = None  # the Go dataset's id, once sent
        self._nparts = None
        self._level = None
        self._sent_level = None
        self.is_cached = False
        self.is_checkpointed = False
        self.partitioner = None
        self._name = None

    # ---- lineage -------------------------------------------------------

    def _parents(self):
        return []

    def _node(self):
        raise NotImplementedError

    def _define(self):
        """Sends this RDD's lineage to the Go driver (what it has not seen)
        and returns the Go dataset's id."""
        if self._go is None:
            parents = [p._define() for p in self._parents()]
            node, blobs = self._node()
            node["parents"] = parents
            node["level"] = self._level._go_level() if self._level else 0
            resp, _ = self.ctx._gw.call("node", blobs=blobs, node=node)
            self._go, self._nparts = resp["id"], resp["partitions"]
            self._sent_level = self._level
        elif self._level is not None and self._level != self._sent_level:
            node = {"kind": "persist", "parents": [self._go], "level": self._level._go_level()}
            resp, _ = self.ctx._gw.call("node", node=node)
            self._go = resp["id"]
            self._sent_level = self._level
        return self._go

    @property
    def context(self):
        return self.ctx

    def id(self):
        return self._rdd_id

    def name(self):
        return self._name

    def setName(self, name):
        self._name = name
        return self

    def __repr__(self):
        return "%s[%d]" % (type(self).__name__, self._rdd_id)

    def getNumPartitions(self):
        self._define()
        return self._nparts

    def _defaultReducePartitions(self):
        if self.ctx._explicit_parallelism:
            return self.ctx.defaultParallelism
        return self.getNumPartitions()

    # ---- persistence ---------------------------------------------------

    def cache(self):
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self, storageLevel=StorageLevel.MEMORY_ONLY):
        self.is_cached = True
        self._level = storageLevel
        return self

    def unpersist(self, blocking=False):
        if self._go is not None and self._sent_level is not None:
            self.ctx._gw.call("unpersist", id=self._go)
            self._go = None  # the next use builds it afresh
        self.is_cached = False
        self._level = self._sent_level = None
        return self

    def getStorageLevel(self):
        return self._level or StorageLevel.NONE

    # ---- narrow transformations ---------------------------------------

    def mapPartitionsWithIndex(self, f, preservesPartitioning=False):
        return PipelinedRDD(self, f, preservesPartitioning)

    def mapPartitions(self, f, preservesPartitioning=False):
        return self.mapPartitionsWithIndex(lambda _, it: f(it), preservesPartitioning)

    def map(self, f, preservesPartitioning=False):
        return self.mapPartitionsWithIndex(lambda _, it: map(f, it), preservesPartitioning)

    def flatMap(self, f, preservesPartitioning=False):
        return self.mapPartitionsWithIndex(
            lambda _, it: itertools.chain.from_iterable(map(f, it)), preservesPartitioning)

    def filter(self, f):
        return self.mapPartitionsWithIndex(lambda _, it: filter(f, it), True)

    def glom(self):
        return self.mapPartitions(lambda it: [list(it)])

    def keyBy(self, f):
        return self.map(lambda x: (f(x), x))

    def keys(self):
        return self.map(lambda kv: kv[0])

    def values(self):
        return self.map(lambda kv: kv[1])

    def mapValues(self, f):
        return self.map(lambda kv: (kv[0], f(kv[1])), True)

    def flatMapValues(self, f):
        return self.flatMap(lambda kv: ((kv[0], x) for x in f(kv[1])), True)

    def sample(self, withReplacement, fraction, seed=None):
        if fraction < 0:
            raise ValueError("Fraction must be nonnegative, got %r" % fraction)
        if seed is None:
            seed = random.randrange(sys.maxsize)

        def func(split, iterator):
            rng = random.Random(seed ^ split)
            if withReplacement:
                import math
                limit = math.exp(-fraction)
                for x in iterator:
                    # Poisson(fraction) copies of x (Knuth's method).
                    k, p = 0, rng.random()
                    while p > limit:
                        k += 1
                        p *= rng.random()
                    for _ in range(k):
                        yield x
            else:
                for x in iterator:
                    if rng.random() < fraction:
                        yield x

        return self.mapPartitionsWithIndex(func, True)

    def union(self, other):
        a, b = self, other
        if a._mode != b._mode:
            a, b = a._reserialize(), b._reserialize()
        return UnionRDD(self.ctx, a, b)

    def _reserialize(self):
        if self._mode == "pickle":
            return self
        return self.map(lambda x: x)

    def coalesce(self, numPartitions, shuffle=False):
        if numPartitions < 1:
            raise ValueError("Number of partitions must be positive, got %d" % numPartitions)
        if not shuffle:
            return CoalescedRDD(self, numPartitions)

        def distribute(split, iterator):
            rng = random.Random(split)
            p = rng.randrange(numPartitions)
            buckets = [[] for _ in range(numPartitions)]
            c = 0
            for x in iterator:
                buckets[p].append(x)
                p = (p + 1) % numPartitions
                c += 1
                if c >= _SHUFFLE_BATCH:
                    for i, b in enumerate(buckets):
                        yield i, b
                    buckets = [[] for _ in range(numPartitions)]
                    c = 0
            for i, b in enumerate(buckets):
                yield i, b

        return ShuffledRDD(PipelinedRDD(self, distribute, False, out="partitioned"), numPartitions)

    def repartition(self, numPartitions):
        return self.coalesce(numPartitions, shuffle=True)

    # ---- shuffles --------------------------------------------------------

    def partitionBy(self, numPartitions, partitionFunc=portable_hash):
        """Sends every (key, value) pair to partition
        partitionFunc(key) % numPartitions."""
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        if self.partitioner == (numPartitions, partitionFunc):
            return self

        def add_shuffle_key(split, iterator):
            # Buffered per partition; written out every _SHUFFLE_BATCH
            # records, or sooner when the worker's memory passes its limit.
            it = iter(iterator)
            buckets = defaultdict(list)
            c = 0
            while True:
                k = _none
                if partitionFunc is portable_hash:
                    chunk = list(itertools.islice(it, shuffle.CHECK_EVERY))
                    if not chunk:
                        break
                    if not _bucket_str_pairs(chunk, numPartitions, buckets):
                        # portable_hash of a str is hash(): no call for str keys.
                        for k, v in chunk:
                            h = hash(k) if k.__class__ is str else portable_hash(k)
                            buckets[h % numPartitions].append((k, v))
                else:
                    for k, v in itertools.islice(it, shuffle.CHECK_EVERY):
                        buckets[partitionFunc(k) % numPartitions].append((k, v))
                    if k is _none:
                        break
                c += shuffle.CHECK_EVERY
                if c >= _SHUFFLE_BATCH or shuffle.get_used_memory() > shuffle.MEMORY_LIMIT:
                    yield from buckets.items()
                    buckets = defaultdict(list)
                    c = 0
            yield from buckets.items()

        keyed = PipelinedRDD(self, add_shuffle_key, False, out="partitioned")
        out = ShuffledRDD(keyed, numPartitions)
        out.partitioner = (numPartitions, partitionFunc)
        return out

    def combineByKey(self, createCombiner, mergeValue, mergeCombiners, numPartitions=None,
                     partitionFunc=portable_hash):
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        agg = shuffle.Aggregator(createCombiner, mergeValue, mergeCombiners)

        def combineLocally(iterator):
            return shuffle.combine_values(agg, iterator)

        def mergeAll(iterator):
            return shuffle.merge_combiners(agg, iterator)

        locally = self.mapPartitions(combineLocally, preservesPartitioning=True)
        return locally.partitionBy(numPartitions, partitionFunc).mapPartitions(mergeAll, True)

    def reduceByKey(self, func, numPartitions=None, partitionFunc=portable_hash):
        return self.combineByKey(shuffle.identity, func, func, numPartitions, partitionFunc)

    def foldByKey(self, zeroValue, func, numPartitions=None, partitionFunc=portable_hash):
        import copy
        return self.combineByKey(lambda v: func(copy.deepcopy(zeroValue), v), func, func,
                                 numPartitions, partitionFunc)

    def aggregateByKey(self, zeroValue, seqFunc, combFunc, numPartitions=None, partitionFunc=portable_hash):
        import copy
        return self.combineByKey(lambda v: seqFunc(copy.deepcopy(zeroValue), v), seqFunc, combFunc,
                                 numPartitions, partitionFunc)

    def groupByKey(self, numPartitions=None, partitionFunc=portable_hash):
        def create(x):
            return [x]

        def mergeValue(xs, x):
            xs.append(x)
            return xs

        def mergeCombiners(a, b):
            a.extend(b)
            return a

        return self.combineByKey(create, mergeValue, mergeCombiners, numPartitions,
                                 partitionFunc).mapValues(ResultIterable)

    def distinct(self, numPartitions=None):
        return self.map(lambda x: (x, None)).reduceByKey(lambda x, _: x, numPartitions).map(lambda x: x[0])

    def sortByKey(self, ascending=True, numPartitions=None, keyfunc=lambda x: x):
        """Sorts (key, value) pairs by key: a sample of the keys picks the
        partitions' bounds, each partition is sorted, as PySpark."""
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()

        def sortPartition(iterator):
            return iter(sorted(iterator, key=lambda kv: keyfunc(kv[0]), reverse=not ascending))

        if numPartitions == 1:
            rdd = self.coalesce(1) if self.getNumPartitions() > 1 else self
            return rdd.mapPartitions(sortPartition, True)
        rddSize = self.count()
        if not rddSize:
            return self
        fraction = min(numPartitions * 20.0 / max(rddSize, 1), 1.0)
        samples = sorted(self.sample(False, fraction, 1).map(lambda kv: keyfunc(kv[0])).collect())
        bounds = [samples[int(len(samples) * (i + 1) / numPartitions)]
                  for i in range(numPartitions - 1)] if samples else []

        def rangePartitioner(k):
            p = bisect.bisect_left(bounds, keyfunc(k))
            return p if ascending else numPartitions - 1 - p

        return self.partitionBy(numPartitions, rangePartitioner).mapPartitions(sortPartition, True)

    def sortBy(self, keyfunc, ascending=True, numPartitions=None):
        return self.keyBy(keyfunc).sortByKey(ascending, numPartitions).values()

    def _join(self, other, numPartitions, dispatch):
        vs = self.mapValues(lambda v: (1, v))
        ws = other.mapValues(lambda v: (2, v))
        return vs.union(ws).groupByKey(numPartitions).flatMapValues(lambda x: dispatch(iter(x)))

    def join(self, other, numPartitions=None):
        return self._join(other, numPartitions, _pairs(False, False))

    def leftOuterJoin(self, other, numPartitions=None):
        return self._join(other, numPartitions, _pairs(False, True))

    def rightOuterJoin(self, other, numPartitions=None):
        return self._join(other, numPartitions, _pairs(True, False))

    def fullOuterJoin(self, other, numPartitions=None):
        return self._join(other, numPartitions, _pairs(True, True))

    # ---- actions ---------------------------------------------------------

    def collect(self):
        _, frames = self.ctx._gw.call("collect", id=self._define())
        return list(load_frames(frames, self._mode))

    def take(self, num):
        """The first num records: the Go driver computes one partition, then
        more at a time, until it has enough, as PySpark's take."""
        if num <= 0:
            return []
        rdd = self.mapPartitions(lambda it: itertools.islice(it, num))
        gid = rdd._define()
        want = num
        while True:
            _, frames = self.ctx._gw.call("take", id=gid, n=want)
            items = list(itertools.islice(load_frames(frames, rdd._mode), num))
            if len(items) >= num or len(frames) < want:
                return items
            want *= 4

    def first(self):
        rs = self.take(1)
        if rs:
            return rs[0]
        raise ValueError("RDD is empty")

    def isEmpty(self):
        return len(self.take(1)) == 0

    def reduce(self, f):
        def func(iterator):
            iterator = iter(iterator)
            try:
                initial = next(iterator)
            except StopIteration:
                return
            yield _reduce(f, iterator, initial)

        vals = self.mapPartitions(func).collect()
        if vals:
            return _reduce(f, vals)
        raise ValueError("Can not reduce() empty RDD")

    def fold(self, zeroValue, op):
        import copy

        def func(iterator):
            acc = copy.deepcopy(zeroValue)
            for x in iterator:
                acc = op(acc, x)
            yield acc

        return _reduce(op, self.mapPartitions(func).collect(), zeroValue)

    def aggregate(self, zeroValue, seqOp, combOp):
        import copy

        def func(iterator):
            acc = copy.deepcopy(zeroValue)
            for x in iterator:
                acc = seqOp(acc, x)
            yield acc

        return _reduce(combOp, self.mapPartitions(func).collect(), zeroValue)

    def sum(self):
        return self.mapPartitions(lambda x: [sum(x)]).fold(0, operator.add)

    def count(self):
        return self.mapPartitions(lambda i: [sum(1 for _ in i)]).sum()

    def max(self, key=None):
        return self.reduce(lambda a, b: max(a, b, key=key) if key else max(a, b))

    def min(self, key=None):
        return self.reduce(lambda a, b: min(a, b, key=key) if key else min(a, b))

    def mean(self):
        s, n = self.map(lambda x: (x, 1)).fold((0, 0), lambda a, b: (a[0] + b[0], a[1] + b[1]))
        return s / n if n else float("nan")

    def countByValue(self):
        def countPartition(iterator):
            yield Counter(iterator)

        def merge(a, b):
            a.update(b)
            return a

        counts = self.mapPartitions(countPartition).fold(Counter(), merge)
        return defaultdict(int, counts)

    def countByKey(self):
        return self.map(lambda x: x[0]).countByValue()

    def collectAsMap(self):
        return dict(self.collect())

    def top(self, num, key=None):
        def topIterator(iterator):
            yield heapq.nlargest(num, iterator, key=key)

        parts = self.mapPartitions(topIterator).collect()
        return heapq.nlargest(num, itertools.chain.from_iterable(parts), key=key)

    def takeOrdered(self, num, key=None):
        def smallest(iterator):
            yield heapq.nsmallest(num, iterator, key=key)

        parts = self.mapPartitions(smallest).collect()
        return heapq.nsmallest(num, itertools.chain.from_iterable(parts), key=key)

    def foreach(self, f):
        def processPartition(iterator):
            for x in iterator:
                f(x)
            return iter([])

        self.mapPartitions(processPartition).count()

    def foreachPartition(self, f):
        def func(it):
            r = f(it)
            try:
                return iter(r)
            except TypeError:
                return iter([])

        self.mapPartitions(func).count()

    def saveAsTextFile(self, path, compressionCodecClass=None):
        """Writes str() of every record as a line into the directory path
        (part-00000, part-00001, ..., _SUCCESS)."""
        if compressionCodecClass is not None:
            raise NotImplementedError("saveAsTextFile: compression is not supported by gospark")
        rdd = PipelinedRDD(self, lambda _, it: it, True, out="lines")
        self.ctx._gw.call("save", id=rdd._define(), path=str(path))


class SourceRDD(RDD):
    """parallelize (one pickled batch per partition) or textFile."""

    def __init__(self, ctx, kind, blobs=None, path=None, minPartitions=None, packed=False):
        RDD.__init__(self, ctx, "lines" if kind == "textFile" else "pickle")
        self._kind = kind
        self._blobs = blobs or []
        self._path = path
        self._minPartitions = minPartitions or 0
        # packed: files grouped into partitions as Spark SQL's file
        # sources group them (spark.read.text), not split as Hadoop's.
        self._packed = packed

    def _node(self):
        if self._kind == "textFile":
            node = {"kind": "textFile", "path": self._path, "minPartitions": self._minPartitions}
            if self._packed:
                node["packed"] = True
            return node, []
        return {"kind": "parallelize"}, self._blobs


class PipelinedRDD(RDD):
    """A Python stage: func(split, iterator) over its parent's records,
    composed with its parent's function when the parent is a PipelinedRDD
    that is not cached, as PySpark's. out is the frames it writes: "pickle",
    "lines" (saveAsTextFile) or "partitioned" (the map side of a shuffle)."""

    def __init__(self, prev, func, preservesPartitioning=False, out="pickle"):
        RDD.__init__(self, prev.ctx, out)
        if isinstance(prev, PipelinedRDD) and prev._is_pipelinable():
            prev_func = prev.func

            def pipeline_func(split, iterator):
                return func(split, prev_func(split, iterator))

            self.func = pipeline_func
            self.prev = prev.prev
        else:
            self.func = func
            self.prev = prev
        if prev._mode == "partitioned":
            raise ValueError("a partitioned stage's output must go to a shuffle")
        self.preservesPartitioning = preservesPartitioning
        self.partitioner = prev.partitioner if preservesPartitioning else None

    def _is_pipelinable(self):
        return self._mode == "pickle" and self._level is None and not self.is_checkpointed

    def _parents(self):
        return [self.prev]

    def _node(self):
        ids = set()
        broadcast._pickled.ids = ids
        try:
            command = cloudpickle.dumps(self.func, PROTOCOL)
        finally:
            broadcast._pickled.ids = None
        return {"kind": "python", "in": self.prev._mode, "out": self._mode,
                "broadcasts": sorted(ids)}, [command]


class ShuffledRDD(RDD):
    """The reduce side of a shuffle of a partitioned stage's output."""

    def __init__(self, prev, numPartitions):
        RDD.__init__(self, prev.ctx, "pickle")
        self.prev = prev
        self.numPartitions = numPartitions

    def _parents(self):
        return [self.prev]

    def _node(self):
        return {"kind": "shuffle", "partitions": self.numPartitions}, []


class UnionRDD(RDD):
    def __init__(self, ctx, a, b):
        RDD.__init__(self, ctx, a._mode)
        self.a, self.b = a, b

    def _parents(self):
        return [self.a, self.b]

    def _node(self):
        return {"kind": "union"}, []


class CoalescedRDD(RDD):
    def __init__(self, prev, numPartitions):
        RDD.__init__(self, prev.ctx, prev._mode)
        self.prev = prev
        self.numPartitions = numPartitions

    def _parents(self):
        return [self.prev]

    def _node(self):
        return {"kind": "coalesce", "partitions": self.numPartitions}, []


def _pairs(keep_right, keep_left):
    """The pairs of a key's tagged values (1: this RDD's, 2: the other's),
    as a join emits them; keep_left keeps this RDD's values that have no
    match (paired with None), keep_right the other's."""
    def dispatch(seq):
        vbuf, wbuf = [], []
        for n, v in seq:
            (vbuf if n == 1 else wbuf).append(v)
        if keep_right and not vbuf:
            vbuf.append(None)
        if keep_left and not wbuf:
            wbuf.append(None)
        return ((v, w) for v in vbuf for w in wbuf)
    return dispatch
