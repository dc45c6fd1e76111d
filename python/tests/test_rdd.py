"""Unit tests of the pyspark package's pure-Python parts: hashing,
partitioning, batching, combining, and the worker protocol (run in
process, without the Go engine)."""
import io
import json
import pickle
import struct
import unittest

import cloudpickle

from pyspark import accumulators, broadcast, shuffle, worker
from pyspark.accumulators import Accumulator, INT_ACCUMULATOR_PARAM
from pyspark.rdd import portable_hash
from pyspark.serializers import (END_OF_DATA, PYTHON_ERROR, batched, line_frames, load_frames, read_frame,
                                 read_length, write_frame, write_marker)
from pyspark.sql import Row
from pyspark.storagelevel import StorageLevel


class PortableHashTest(unittest.TestCase):
    def test_values(self):
        # PySpark's definition: None is 0, ints hash to themselves, tuples
        # combine their items.
        self.assertEqual(portable_hash(None), 0)
        self.assertEqual(portable_hash(7), 7)
        self.assertEqual(portable_hash(-3), hash(-3))
        self.assertEqual(portable_hash(()), 0x345678 ^ 0)
        h = 0x345678
        for i in (1, 2):
            h ^= i
            h *= 1000003
            h &= (1 << 63) - 1
        self.assertEqual(portable_hash((1, 2)), h ^ 2)

    def test_nested_tuple_uses_portable_hash(self):
        self.assertEqual(portable_hash((None,)), portable_hash((0,)))


class FramesTest(unittest.TestCase):
    def test_batches_round_trip(self):
        data = list(range(10000)) + ["x" * 1000] * 200
        frames = list(batched(iter(data)))
        self.assertGreater(len(frames), 5)
        self.assertTrue(all(pickle.loads(f) for f in frames), "no empty batch")
        self.assertEqual(list(load_frames(frames, "pickle")), data)

    def test_lines(self):
        data = ["a", "", "ü b", 3, b"bytes"]
        frames = list(line_frames(iter(data), best=4))
        self.assertEqual(list(load_frames(frames, "lines")), ["a", "", "ü b", "3", "bytes"])

    def test_framing(self):
        buf = io.BytesIO()
        write_frame(buf, b"abc")
        write_marker(buf, END_OF_DATA)
        buf.seek(0)
        self.assertEqual(read_frame(buf), b"abc")
        self.assertEqual(read_length(buf), END_OF_DATA)
        with self.assertRaises(EOFError):
            read_length(buf)


class CombineTest(unittest.TestCase):
    def test_combine_and_merge(self):
        agg = shuffle.Aggregator(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b)
        pairs = [(i % 3, i) for i in range(10)]
        combined = list(shuffle.combine_values(agg, iter(pairs)))
        self.assertEqual(dict(combined), {0: [0, 3, 6, 9], 1: [1, 4, 7], 2: [2, 5, 8]})
        merged = dict(shuffle.merge_combiners(agg, iter(combined + [(0, [100])])))
        self.assertEqual(merged[0], [0, 3, 6, 9, 100])

    def test_memory_limit_flushes_early(self):
        # Over the limit, the map side hands on partial combiners; merged on
        # the reduce side they give the same answer.
        agg = shuffle.Aggregator(lambda v: v, lambda a, b: a + b, lambda a, b: a + b)
        pairs = [(i % 5, 1) for i in range(50000)]
        partial = list(shuffle.combine_values(agg, iter(pairs), limit=1))
        self.assertGreater(len(partial), 5)
        self.assertEqual(dict(shuffle.merge_combiners(agg, iter(partial))), {k: 10000 for k in range(5)})


class RowTest(unittest.TestCase):
    def test_row(self):
        r = Row(value="line")
        self.assertEqual(r[0], "line")
        self.assertEqual(r.value, "line")
        self.assertEqual(r["value"], "line")
        r2 = pickle.loads(pickle.dumps(r))
        self.assertEqual(r2.value, "line")


class StorageLevelTest(unittest.TestCase):
    def test_go_levels(self):
        self.assertEqual(StorageLevel.MEMORY_ONLY._go_level(), 1)
        self.assertEqual(StorageLevel.MEMORY_AND_DISK._go_level(), 2)
        self.assertEqual(StorageLevel.DISK_ONLY._go_level(), 3)
        self.assertEqual(StorageLevel.NONE._go_level(), 0)


def task_input(header, func, inputs, bcasts=()):
    buf = io.BytesIO()
    write_frame(buf, json.dumps(header).encode())
    write_frame(buf, cloudpickle.dumps(func))
    for b in bcasts:
        write_frame(buf, b)
    for f in inputs:
        write_frame(buf, f)
    write_marker(buf, END_OF_DATA)
    buf.seek(0)
    return buf


def header(**kw):
    h = {"split": 1, "attempt": 0, "stage": 0, "task": 5, "in": "pickle", "out": "pickle",
         "bcast": [], "paths": [], "mem": 0}
    h.update(kw)
    return h


class WorkerTest(unittest.TestCase):
    def run_task(self, h, func, inputs, bcasts=()):
        out = io.BytesIO()
        inp = task_input(h, func, inputs, bcasts)
        self.assertEqual(json.loads(read_frame(inp)), h)  # the worker's loop reads the header
        worker.run_task(inp, out, h)
        out.seek(0)
        frames = []
        while True:
            n = read_length(out)
            if n == END_OF_DATA:
                return frames, read_frame(out)
            self.assertNotEqual(n, PYTHON_ERROR)
            frames.append(out.read(n))

    def test_map(self):
        frames, acc = self.run_task(header(), lambda split, it: (x * split for x in it),
                                    [pickle.dumps([1, 2]), pickle.dumps([3])])
        self.assertEqual(list(load_frames(frames, "pickle")), [1, 2, 3])
        self.assertEqual(acc, b"")

    def test_partial_read(self):
        # A function that stops reading early: the rest of the input is
        # drained so the next task starts at its header.
        frames, _ = self.run_task(header(), lambda split, it: [next(iter(it))],
                                  [pickle.dumps([1, 2]), pickle.dumps([3])])
        self.assertEqual(list(load_frames(frames, "pickle")), [1])

    def test_lines_in_partitioned_out(self):
        def f(split, it):
            return iter([(0, [("a", 1)]), (1, []), (2, [(w, 1) for w in it])])
        frames, _ = self.run_task(header(**{"in": "lines", "out": "partitioned"}), f, [b"x\ny"])
        self.assertEqual(len(frames), 2, "empty buckets are not written")
        self.assertEqual(struct.unpack(">i", frames[1][:4])[0], 2)
        self.assertEqual(pickle.loads(frames[1][4:]), [("x", 1), ("y", 1)])

    def test_accumulators_and_broadcast(self):
        acc = Accumulator(99, 0, INT_ACCUMULATOR_PARAM)
        b = broadcast._from_id(7)
        b._local = False

        def f(split, it):
            for x in it:
                acc.add(x)
                yield x + b.value
        frames, updates = self.run_task(header(bcast=[7]), f, [pickle.dumps([1, 2, 3])], [pickle.dumps(10)])
        self.assertEqual(list(load_frames(frames, "pickle")), [11, 12, 13])
        self.assertEqual(pickle.loads(updates), {99: 6})
        # The driver merges the update into its accumulator.
        accumulators._accumulatorRegistry[99] = acc
        acc._deserialized = False
        acc._value = 100
        accumulators._merge_updates([updates])
        self.assertEqual(acc.value, 106)


if __name__ == "__main__":
    unittest.main()
