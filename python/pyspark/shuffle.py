"""Aggregation in Python workers, within spark.python.worker.memory."""
import itertools
import os

from pyspark import _codes

try:
    from _collections import _count_elements  # Counter's counting loop, in C
except ImportError:  # pragma: no cover (an interpreter without it)
    def _count_elements(mapping, iterable):
        get = mapping.get
        for elem in iterable:
            mapping[elem] = get(elem, 0) + 1

# Bytes a worker may use while aggregating (spark.python.worker.memory; the
# worker sets it from each task's header).
MEMORY_LIMIT = 512 << 20

_page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Statm:
    """/proc/self/statm, opened once per process and read again from its
    start (one system call a look instead of three)."""
    fd = None
    pid = None


def get_used_memory():
    """The worker's resident memory in bytes (0 when unknown)."""
    try:
        if _Statm.pid != os.getpid():  # first use, or a forked child
            _Statm.fd, _Statm.pid = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC), os.getpid()
        return int(os.pread(_Statm.fd, 128, 0).split()[1]) * _page
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


class Aggregator:
    def __init__(self, createCombiner, mergeValue, mergeCombiners):
        self.createCombiner = createCombiner
        self.mergeValue = mergeValue
        self.mergeCombiners = mergeCombiners


# Records a worker combines between two looks at its memory.
CHECK_EVERY = 10000

_none = object()


def identity(x):
    """The combiner of reduceByKey's first value (combine_values knows it)."""
    return x


def counted_keys(iterator):
    """(keys, c) when iterator is map(f, keys) with f(x) = (x, c) and c an
    int, the pairs of a count such as a word count's; else (None, None)."""
    if type(iterator) is not map:
        return None, None
    args = iterator.__reduce__()[1]
    if len(args) != 2:
        return None, None
    c = _codes.constant_pair(args[0])
    if type(c) is not int:
        return None, None
    return args[1], c


def _count(keys, c, limit):
    """_combined for (k, c) for each k in keys with reduceByKey(add): the
    keys are counted in C, and each count n gives n * c, the int that
    adding n copies of c gives."""
    counts = {}

    def results():
        if c == 1:
            return counts.items()
        return ((k, n * c) for k, n in counts.items())

    # The keys end with a marker that no key equals: counted, it tells
    # that the keys are all counted.
    it = itertools.chain(keys, (_END,))
    while True:
        _count_elements(counts, itertools.islice(it, CHECK_EVERY))
        if _END in counts:
            del counts[_END]
            break
        if limit and get_used_memory() > limit:
            yield results()
            counts = {}
    yield results()


class _End:
    """The marker after the keys _count counts: equal only to itself."""
    __slots__ = ()


_END = _End()


def combine_values(agg, iterator, limit=None):
    """Combines (key, value) pairs per key; returns an iterator of (key,
    combiner) pairs. When the worker's memory passes the limit, what is
    combined so far is given and combining starts again (for the map side,
    whose output the reduce side merges anyway)."""
    limit = MEMORY_LIMIT if limit is None else limit
    # A dict's pairs at a time, iterated in C.
    return itertools.chain.from_iterable(_combined(agg, iterator, limit))


def _combined(agg, iterator, limit):
    """combine_values' pairs: a dict's items each time the memory passes
    the limit, and at the end."""
    d = {}
    create, merge = agg.createCombiner, agg.mergeValue
    add = _codes.is_add(merge)
    if add and create is identity:
        # reduceByKey(add) of map(lambda x: (x, c)): no pair is made.
        keys, c = counted_keys(iterator)
        if keys is not None:
            yield from _count(keys, c, limit)
            return
    it = iter(iterator)
    while True:
        k = _none
        # The loops of the common cases call no function per record.
        if add and create is identity:  # reduceByKey(add)
            for k, v in itertools.islice(it, CHECK_EVERY):
                d[k] = d[k] + v if k in d else v
        elif add:
            for k, v in itertools.islice(it, CHECK_EVERY):
                d[k] = d[k] + v if k in d else create(v)
        else:
            for k, v in itertools.islice(it, CHECK_EVERY):
                d[k] = merge(d[k], v) if k in d else create(v)
        if k is _none:
            break
        if limit and get_used_memory() > limit:
            yield d.items()
            d = {}
    yield d.items()


def merge_combiners(agg, iterator):
    """Merges (key, combiner) pairs per key, in memory."""
    d = {}
    merge = agg.mergeCombiners
    if _codes.is_add(merge):  # reduceByKey(add): no call per record
        for k, c in iterator:
            d[k] = d[k] + c if k in d else c
    else:
        for k, c in iterator:
            d[k] = merge(d[k], c) if k in d else c
    return iter(d.items())
