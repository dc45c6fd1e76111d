"""Accumulators: tasks add to a copy that starts at zero; each successful
task's additions reach the driver once and are merged there."""

# The driver's accumulators, and those a worker's current task unpickled.
_accumulatorRegistry = {}


def _deserialize_accumulator(aid, zero, param):
    acc = Accumulator(aid, zero, param)
    acc._deserialized = True
    _accumulatorRegistry[aid] = acc
    return acc


class AccumulatorParam:
    def zero(self, value):
        raise NotImplementedError

    def addInPlace(self, value1, value2):
        raise NotImplementedError


class AddingAccumulatorParam(AccumulatorParam):
    def __init__(self, zero_value):
        self.zero_value = zero_value

    def zero(self, value):
        return self.zero_value

    def addInPlace(self, value1, value2):
        value1 += value2
        return value1


INT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0)
FLOAT_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0)
COMPLEX_ACCUMULATOR_PARAM = AddingAccumulatorParam(0.0j)


class Accumulator:
    def __init__(self, aid, value, accum_param):
        self.aid = aid
        self.accum_param = accum_param
        self._value = value
        self._deserialized = False
        if not self._deserialized:
            _accumulatorRegistry[aid] = self

    @property
    def value(self):
        if self._deserialized:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._value

    @value.setter
    def value(self, value):
        if self._deserialized:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        self._value = value

    def add(self, term):
        self._value = self.accum_param.addInPlace(self._value, term)

    def __iadd__(self, term):
        self.add(term)
        return self

    def __reduce__(self):
        return _deserialize_accumulator, (self.aid, self.accum_param.zero(self._value), self.accum_param)

    def __str__(self):
        return str(self._value)

    def __repr__(self):
        return "Accumulator<id=%i, value=%s>" % (self.aid, self._value)


def _merge_updates(blobs):
    """Merges pickled {id: value} updates of tasks into the driver's
    accumulators."""
    import pickle
    for b in blobs:
        if not b:
            continue
        for aid, v in pickle.loads(b).items():
            acc = _accumulatorRegistry.get(aid)
            if acc is not None:
                acc._value = acc.accum_param.addInPlace(acc._value, v)
