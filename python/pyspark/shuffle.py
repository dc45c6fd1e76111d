"""Aggregation in Python workers, within spark.python.worker.memory."""
import itertools
import operator
import os

# Bytes a worker may use while aggregating (spark.python.worker.memory; the
# worker sets it from each task's header).
MEMORY_LIMIT = 512 << 20

_page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def get_used_memory():
    """The worker's resident memory in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _page
    except (OSError, ValueError, IndexError):
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


def combine_values(agg, iterator, limit=None):
    """Combines (key, value) pairs per key; yields (key, combiner) pairs.
    When the worker's memory passes the limit, what is combined so far is
    yielded and combining starts again (for the map side, whose output the
    reduce side merges anyway)."""
    limit = MEMORY_LIMIT if limit is None else limit
    d = {}
    create, merge = agg.createCombiner, agg.mergeValue
    it = iter(iterator)
    add = merge is operator.add
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
            yield from d.items()
            d = {}
    yield from d.items()


def merge_combiners(agg, iterator):
    """Merges (key, combiner) pairs per key, in memory."""
    d = {}
    merge = agg.mergeCombiners
    for k, c in iterator:
        d[k] = merge(d[k], c) if k in d else c
    return iter(d.items())
