"""combine_values' loops without a call per record (reduceByKey(add) and
any merge that is operator.add), and its counting of map(lambda x: (x, c))
pairs, against the record-by-record definition; read.text's rows made in
C."""
import operator
import unittest

from pyspark import _codes, shuffle
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

    def check_pairs_of(self, f, merge, keys, counted):
        """combine_values of map(f, keys): the same as record by record, and
        counted without making pairs exactly when counted."""
        self.assertEqual(shuffle.counted_keys(map(f, keys))[0] is not None, counted)
        agg = shuffle.Aggregator(shuffle.identity, merge, merge)
        got = list(shuffle.combine_values(agg, map(f, keys), limit=0))
        want = reference(shuffle.identity, merge, map(f, keys))
        self.assertEqual(got, want)
        self.assertEqual([type(v) for _, v in got], [type(v) for _, v in want])

    def test_counted_pairs(self):
        words = ("a b a c b a " * 5000).split() + [1, 1.0, True, (1, 2), None]
        k = 1

        def pair(word):
            "a docstring does not change the code"
            return (word, 1)

        self.check_pairs_of(lambda w: (w, 1), operator.add, words, True)
        self.check_pairs_of(lambda w: (w, 1), lambda a, b: a + b, words, True)
        self.check_pairs_of(pair, operator.add, words, True)
        self.check_pairs_of(lambda w: (w, 3), operator.add, words, True)
        self.check_pairs_of(lambda w: (w, -2), operator.add, words, True)
        # Not counted: the same answers, record by record.
        self.check_pairs_of(lambda w: (w, True), operator.add, words, False)
        self.check_pairs_of(lambda w: (w, 1.0), operator.add, words, False)
        self.check_pairs_of(lambda w: (w, "x"), operator.add, words, False)
        self.check_pairs_of(lambda w: (w, k), operator.add, words, False)
        self.assertIsNone(shuffle.counted_keys(map(lambda w: (w, 1, 2), ["a"]))[0])
        self.assertIsNone(shuffle.counted_keys(map(lambda a, b: (a, 1), "ab", "cd"))[0])
        self.check_pairs_of(lambda w, *rest: (w, 1), operator.add, words, False)
        self.check_pairs_of(lambda w: [w, 1], operator.add, words, False)
        self.check_pairs_of(lambda w: (1, w), operator.add, [1, 2, 1], False)
        self.assertFalse(_codes.is_add(lambda a, b: b + a))
        self.assertFalse(_codes.is_add(lambda a, b: a - b))
        # A merge that is not + is never counted.
        agg = shuffle.Aggregator(shuffle.identity, max, max)
        self.assertEqual(sorted(shuffle.combine_values(agg, map(lambda w: (w, 1), "abca"), limit=0)),
                         [("a", 1), ("b", 1), ("c", 1)])

    def test_counted_pairs_over_the_memory_limit(self):
        keys = [i % 7 for i in range(3 * shuffle.CHECK_EVERY + 5)]
        agg = shuffle.Aggregator(shuffle.identity, operator.add, operator.add)
        partial = list(shuffle.combine_values(agg, map(lambda x: (x, 2), keys), limit=1))
        self.assertGreater(len(partial), 7)  # flushed at each check
        merged = dict(shuffle.merge_combiners(agg, iter(partial)))
        self.assertEqual(merged, {k: 2 * keys.count(k) for k in range(7)})

    def test_merge_combiners(self):
        pairs = [("a", 1), ("a", 2.5), ("b", [1]), ("b", [2]), ("c", "x"), ("a", True), ("c", "y")]
        for merge in (operator.add, lambda a, b: a + b, lambda a, b: b + a, max):
            agg = shuffle.Aggregator(shuffle.identity, merge, merge)
            got = list(shuffle.merge_combiners(agg, iter(pairs)))
            want = {}
            for k, c in pairs:
                want[k] = merge(want[k], c) if k in want else c
            self.assertEqual(got, list(want.items()))
            self.assertEqual([type(v) for _, v in got], [type(v) for v in want.values()])

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


    def test_str_keys_bucketed_in_c(self):
        from pyspark.rdd import SourceRDD, portable_hash

        words = ["w%d" % (i * 7919 % 1000) for i in range(25000)] + ["", "ünï", "日本"]
        records = [(w, i) for i, w in enumerate(words)]
        for n in (1, 3, 16, 17):
            for recs in (records, records[:100] + [["a", -1]] + records[100:], records + [(1, -2)]):
                shuffled = SourceRDD(None, "parallelize").partitionBy(n)
                got = sorted(((p, kv) for p, items in shuffled.prev.func(0, iter(recs)) for kv in items),
                             key=lambda t: t[1][1])
                want = sorted(((portable_hash(k) % n, (k, v)) for k, v in recs), key=lambda t: t[1][1])
                self.assertEqual(got, want)
                self.assertEqual({type(kv) for _, kv in got}, {tuple})


class TextRowsTest(unittest.TestCase):
    def test_map_to_the_field_is_the_text_source(self):
        from pyspark.rdd import PipelinedRDD, SourceRDD
        from pyspark.sql.dataframe import _TextRows

        def rows():
            return _TextRows(SourceRDD(None, "textFile", path="/data/*.txt", minPartitions=3))

        field = 0

        def value(r):
            return r.value

        for f in (lambda r: r[0], lambda row: row[-1], lambda r: r["value"], value):
            src = rows().map(f)
            self.assertIs(type(src), SourceRDD)
            self.assertEqual(src._node(), ({"kind": "textFile", "path": "/data/*.txt", "minPartitions": 3}, []))
        for f in (lambda r: r[1], lambda r: r[0.0], lambda r: r["values"], lambda r: r.values, lambda r: r[field],
                  lambda r: r[0].lower(), lambda r: r, str, operator.itemgetter(0)):
            self.assertIs(type(rows().map(f)), PipelinedRDD)
        packed = _TextRows(SourceRDD(None, "textFile", path="/data/*.txt", packed=True)).map(lambda r: r[0])
        self.assertEqual(packed._node(), ({"kind": "textFile", "path": "/data/*.txt", "minPartitions": 0,
                                           "packed": True}, []))
        cached = rows()
        cached._level = object()  # as persist() sets it
        self.assertIs(type(cached.map(lambda r: r[0])), PipelinedRDD)

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


class TextPiecesTest(unittest.TestCase):
    def test_lines_of_frames_in_pieces(self):
        """The worker decodes and splits text a piece of a frame at a time:
        the same lines as frame by frame, invalid UTF-8 included."""
        from pyspark import worker
        frames = [b"a b\n\nc\xff\n\xe6\x97\n\xe6\x97\xa5 x", b"", b"\n", ("\u00fcn\u00ef " * 40 + "\n" + "b a\n" * 30).encode(),
                  b"no newline" * 50]
        want = [line for f in frames for line in f.decode("utf-8", "replace").split("\n")]
        old = worker.TEXT_PIECE
        try:
            for piece in (1, 3, 16, 1 << 14):
                worker.TEXT_PIECE = piece
                self.assertEqual(list(worker.records(iter(frames), "lines")), want, piece)
                pieces = list(worker.text_pieces(iter(frames)))
                self.assertEqual(b"\n".join(pieces), b"\n".join(frames))
                if piece < 16:
                    self.assertGreater(len(pieces), len(frames))
        finally:
            worker.TEXT_PIECE = old
