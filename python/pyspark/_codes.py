"""What a function does, read from its code: a plain function whose code
object has the same bytes as a reference function compiled by this
interpreter does the same thing, up to the constants and names it reads
(checked separately). The workers use it to run common lambdas of
unchanged PySpark programs without a call per record (docs/python.md)."""
import operator
import types

NONE = object()  # constant_pair's answer for a function that is not one
_ARGS_FLAGS = 0x04 | 0x08  # CO_VARARGS, CO_VARKEYWORDS

# The references. Their constants and names are at the indexes a user's
# function of the same code has them.
_PAIR = (lambda x: (x, 1)).__code__  # noqa: E731
_ADD = (lambda a, b: a + b).__code__  # noqa: E731
_ITEM = (lambda r: r[0]).__code__  # noqa: E731
_ATTR = (lambda r: r.value).__code__  # noqa: E731


def _plain_code(f, argc, ref):
    """f's code object when f is a plain function of argc positional
    arguments, without closure cells, whose code is ref's bytes."""
    if type(f) is not types.FunctionType:
        return None
    c = f.__code__
    if (c.co_argcount != argc or c.co_kwonlyargcount or c.co_flags & _ARGS_FLAGS
            or c.co_freevars or c.co_cellvars or c.co_code != ref.co_code):
        return None
    return c


def is_add(f):
    """Whether f(a, b) is a + b: operator.add or a function `return a + b`."""
    return f is operator.add or _plain_code(f, 2, _ADD) is not None


def constant_pair(f):
    """c when f(x) is always the new tuple (x, c), c a constant: the code of
    `lambda x: (x, c)`; else NONE."""
    c = _plain_code(f, 1, _PAIR)
    return NONE if c is None else c.co_consts[1]


def item_or_attribute(f):
    """("item", k) when f(r) is r[k], k a constant; ("attr", name) when it
    is r.name; else None."""
    c = _plain_code(f, 1, _ITEM)
    if c is not None:
        return "item", c.co_consts[1]
    c = _plain_code(f, 1, _ATTR)
    if c is not None and len(c.co_names) == len(_ATTR.co_names):
        return "attr", c.co_names[0]
    return None

