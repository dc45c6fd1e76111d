"""Row: a tuple whose fields also have names."""
import itertools


class Row(tuple):
    def __new__(cls, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs.keys())
            return row
        return tuple.__new__(cls, args)

    def asDict(self, recursive=False):
        return dict(zip(self.__fields__, self))

    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            return self[self.__fields__.index(item)]
        except (AttributeError, ValueError):
            raise AttributeError(item)

    def __getitem__(self, item):
        if isinstance(item, (int, slice)):
            return tuple.__getitem__(self, item)
        try:
            return tuple.__getitem__(self, self.__fields__.index(item))
        except (AttributeError, ValueError):
            raise KeyError(item)

    def __reduce__(self):
        if hasattr(self, "__fields__"):
            return _create_row, (self.__fields__, tuple(self))
        return tuple.__reduce__(self)

    def __repr__(self):
        if hasattr(self, "__fields__"):
            return "Row(%s)" % ", ".join("%s=%r" % (k, v) for k, v in zip(self.__fields__, self))
        return "<Row(%s)>" % ", ".join(repr(v) for v in self)


def _create_row(fields, values):
    row = Row(*values)
    row.__fields__ = fields
    return row


class _TextRow(Row):
    """A row of spark.read.text: one field, value (its name is the class's,
    so making one per line costs a tuple)."""
    __fields__ = ["value"]

    @property
    def value(self):
        return tuple.__getitem__(self, 0)

    def __getitem__(self, item, _get=tuple.__getitem__):
        # row[0], the usual way, costs one call; row["value"] works too.
        try:
            return _get(self, item)
        except TypeError:
            if item == "value":
                return _get(self, 0)
            raise KeyError(item) from None


def _value_row(line):
    return tuple.__new__(_TextRow, (line,))


def _text_rows(lines, _new=tuple.__new__, _repeat=itertools.repeat):
    """The rows of lines, made in C: tuple.__new__(_TextRow, (line,)) each."""
    return map(_new, _repeat(_TextRow), zip(lines))
