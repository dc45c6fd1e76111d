"""Frames and batches, as they travel between Python and the Go engine.

A frame is a 4-byte big-endian length and a payload. A dataset's records
are frames of one of three modes: "pickle" (a pickled list of records),
"lines" (UTF-8 text lines joined by newlines) and "partitioned" (a 4-byte
reduce partition, then a pickled list)."""
import pickle
import struct

PROTOCOL = pickle.HIGHEST_PROTOCOL
END_OF_DATA = -1
PYTHON_ERROR = -2

# A batch grows while its pickle is smaller than this (PySpark's
# AutoBatchedSerializer's best size).
BEST_BATCH_BYTES = 1 << 16

_len = struct.Struct(">i")


def write_frame(out, payload):
    out.write(_len.pack(len(payload)))
    out.write(payload)


def write_marker(out, marker):
    out.write(_len.pack(marker))


def read_length(inp):
    h = inp.read(4)
    if len(h) < 4:
        if not h:
            raise EOFError
        raise EOFError("truncated frame header")
    return _len.unpack(h)[0]


def read_frame(inp):
    n = read_length(inp)
    if n < 0:
        raise ValueError("unexpected marker %d" % n)
    return read_body(inp, n)


def read_body(inp, n):
    b = inp.read(n)
    if len(b) < n:
        raise EOFError("truncated frame")
    return b


def dumps(obj):
    return pickle.dumps(obj, PROTOCOL)


def loads(b):
    return pickle.loads(b)


def load_frames(frames, mode):
    """The records of frames of the given mode."""
    if mode == "lines":
        for f in frames:
            yield from f.decode("utf-8", "replace").split("\n")
    else:
        for f in frames:
            yield from pickle.loads(f)


def batched(iterator, dump=dumps, best=BEST_BATCH_BYTES):
    """Frames of pickled lists of the records, each list growing while its
    frame stays small (PySpark's AutoBatchedSerializer)."""
    size = 1
    batch = []
    for x in iterator:
        batch.append(x)
        if len(batch) >= size:
            b = dump(batch)
            yield b
            batch = []
            if len(b) < best:
                size *= 2
            elif len(b) > best * 10 and size > 1:
                size //= 2
    if batch:
        yield dump(batch)


def line_frames(iterator, best=BEST_BATCH_BYTES):
    """Frames of text lines: str(x) of each record (bytes as UTF-8 text)."""
    buf = []
    n = 0
    for x in iterator:
        if isinstance(x, bytes):
            x = x.decode("utf-8", "replace")
        elif not isinstance(x, str):
            x = str(x)
        buf.append(x)
        n += len(x) + 1
        if n >= best:
            yield "\n".join(buf).encode("utf-8")
            buf = []
            n = 0
    if buf:
        yield "\n".join(buf).encode("utf-8")
