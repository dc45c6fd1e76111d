"""combine_values' loops without a call per record (reduceByKey(add) and
any merge that is operator.add) against the record-by-record definition,
and read.text's rows made in C."""
import operator
import unittest

from pyspark import shuffle
from pyspark.sql import Row
from pyspark.sql.types import _text_rows


def reference(create, merge, pairs):
    d = {}
    for k, v in pairs:
        d[k] = merge(d[k], v) if k in d else create(v)
    return list(d.items())


class CombineTest(unittest.TestCase):
    def check(self, create, merge, pairs):
        agg = shuffle.Aggregator(create, merge, merge)
        got = list(shuffle.combine_values(agg, iter(pairs), limit=0))
        want = reference(create, merge, pairs)
        self.assertEqual(got, want)
        # The same types, not only equal values (1 + 1.0 is a float).
        self.assertEqual([type(v) for _, v in got], [type(v) for _, v in want])

    def test_add_identity(self):
        words = ("a b a c b a " * 3000).split()
        self.check(shuffle.identity, operator.add, [(w, 1) for w in words])

    def test_add_identity_mixed_values(self):
        pairs = [("a", 1), ("a", 1.0), ("b", True), ("b", True), ("c", [1]), ("c", [2]), ("d", "x"), ("d", "y")]
        self.check(shuffle.identity, operator.add, pairs * 3)

    def test_add_with_a_combiner(self):
        self.check(lambda v: v * 10, operator.add, [(i % 7, i) for i in range(25000)])

    def test_other_merge(self):
        self.check(lambda v: [v], lambda a, b: a + [b], [(i % 3, i) for i in range(100)])

    def test_bad_record_raises(self):
        agg = shuffle.Aggregator(shuffle.identity, operator.add, operator.add)
        with self.assertRaises(ValueError):
            list(shuffle.combine_values(agg, iter([("a", 1), ("b", 1, 2)]), limit=0))


class PartitionByTest(unittest.TestCase):
    def test_buckets_follow_portable_hash(self):
        from pyspark.rdd import SourceRDD, portable_hash

        class Name(str):
            def __hash__(self):
                return 7

        keys = ["a", "bb", "", Name("a"), None, 3, -4, ("x", 1), 2.5] * 5
        pairs = [(k, i) for i, k in enumerate(keys)]
        shuffled = SourceRDD(None, "parallelize").partitionBy(3)
        by_index = lambda t: t[1][1]  # noqa: E731 (the keys do not compare)
        got = sorted(((p, kv) for p, items in shuffled.prev.func(0, iter(pairs)) for kv in items), key=by_index)
        want = [(portable_hash(k) % 3, (k, v)) for k, v in pairs]
        self.assertEqual(got, want)
        self.assertIn((7 % 3, (Name("a"), 3)), got)


class TextRowsTest(unittest.TestCase):
    def test_rows(self):
        rows = list(_text_rows(iter(["x y", "", "z"])))
        self.assertEqual([r[0] for r in rows], ["x y", "", "z"])
        self.assertEqual([r.value for r in rows], ["x y", "", "z"])
        self.assertEqual([r["value"] for r in rows], ["x y", "", "z"])
        self.assertIsInstance(rows[0], Row)
        self.assertEqual(rows[0], ("x y",))
        self.assertEqual(repr(rows[2]), "Row(value='z')")
        with self.assertRaises(KeyError):
            rows[0]["other"]
        with self.assertRaises(IndexError):
            rows[0][1]


if __name__ == "__main__":
    unittest.main()
