"""The Python worker: `python -m pyspark.worker`, started by a gospark
executor. It runs the Python stages of tasks, one task at a time, over its
stdin and stdout (docs/python.md):

  in:  header (JSON), function (pickled), new broadcast values, input
       frames, END_OF_DATA
  out: output frames, then END_OF_DATA and pickled accumulator updates, or
       PYTHON_ERROR and the traceback (after which the worker exits).

A function that did not read all its input (take) ends its output first;
the worker then skips the input up to END_OF_DATA, which the executor sends
as soon as it sees the end of the output.

print() inside a task goes to stderr, the executor's log: stdout carries the
protocol."""
import importlib
import itertools
import json
import operator
import os
import pickle
import struct
import sys
import traceback

from pyspark import accumulators, broadcast, shuffle
from pyspark.serializers import (END_OF_DATA, PYTHON_ERROR, batched, line_frames, read_body, read_frame,
                                 read_length, write_frame, write_marker, dumps)
from pyspark.taskcontext import TaskContext


def input_frames(inp):
    while True:
        n = read_length(inp)
        if n == END_OF_DATA:
            return
        yield read_body(inp, n)


_decode = operator.methodcaller("decode", "utf-8", "replace")
_split_lines = operator.methodcaller("split", "\n")


# The bytes of text decoded and split into lines at once: the frames are
# larger (fewer reads and writes on the pipes), a piece this size keeps
# what it makes in the processor's caches.
TEXT_PIECE = 1 << 14


def text_pieces(frames):
    """The frames cut at newlines into pieces of about TEXT_PIECE bytes:
    their lines are the frames' lines."""
    for f in frames:
        n, a = len(f), 0
        while n - a > TEXT_PIECE:
            b = f.find(b"\n", a + TEXT_PIECE)
            if b < 0:
                break
            yield f[a:b]
            a = b + 1
        yield f[a:] if a else f


def records(frames, mode):
    """The records of the input frames, iterated in C."""
    if mode == "lines":
        return itertools.chain.from_iterable(map(_split_lines, map(_decode, text_pieces(frames))))
    return itertools.chain.from_iterable(map(pickle.loads, frames))


_pack = struct.Struct(">i").pack


def write_output(out, it, mode):
    if mode == "pickle":
        for b in batched(it):
            write_frame(out, b)
    elif mode == "lines":
        for b in line_frames(it):
            write_frame(out, b)
    else:  # partitioned: (reduce partition, list of records) pairs
        for p, items in it:
            if items:
                write_frame(out, _pack(p) + dumps(items))


def run_task(inp, out, header):
    command = read_frame(inp)
    for bid in header.get("bcast") or ():
        broadcast._worker_values[bid] = read_frame(inp)
    for p in reversed(header.get("paths") or ()):
        if p not in sys.path:
            sys.path.insert(1, p)
            importlib.invalidate_caches()
    shuffle.MEMORY_LIMIT = header.get("mem") or shuffle.MEMORY_LIMIT
    TaskContext._current = TaskContext(header["split"], header["attempt"], header["stage"], header["task"])
    accumulators._accumulatorRegistry.clear()
    frames = input_frames(inp)
    func = pickle.loads(command)
    write_output(out, func(header["split"], records(frames, header["in"])), header["out"])
    updates = {aid: acc._value for aid, acc in accumulators._accumulatorRegistry.items()}
    write_marker(out, END_OF_DATA)
    write_frame(out, dumps(updates) if updates else b"")
    out.flush()
    # The executor stops sending input when it sees the end of the output
    # (take): skip what the function did not read, up to the end marker.
    for _ in frames:
        pass


def _profiled(run):
    """GOSPARK_PY_PROFILE=<dir> (a developer's switch): each task's wall and
    CPU time go to stderr and its cProfile statistics to <dir>."""
    pdir = os.environ.get("GOSPARK_PY_PROFILE")
    if not pdir:
        return run
    import cProfile
    import time

    def profiled(inp, out, header):
        t, c = time.perf_counter(), time.process_time()
        prof = cProfile.Profile() if os.environ.get("GOSPARK_PY_CPROFILE") else None
        try:
            if prof:
                prof.runcall(run, inp, out, header)
            else:
                run(inp, out, header)
        finally:
            print("gospark-py-profile: pid %d stage %s split %s in %s out %s: %.3f s wall, %.3f s cpu" % (
                os.getpid(), header["stage"], header["split"], header["in"], header["out"],
                time.perf_counter() - t, time.process_time() - c), file=sys.stderr, flush=True)
            if prof:
                os.makedirs(pdir, exist_ok=True)
                prof.dump_stats(os.path.join(pdir, "stage%s-split%s-%d.prof" % (
                    header["stage"], header["split"], os.getpid())))
    return profiled


def main():
    run = _profiled(run_task)
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    os.dup2(2, 1)  # print() in tasks goes to the executor's log
    sys.stdout = sys.stderr
    while True:
        try:
            header = json.loads(read_frame(inp))
        except EOFError:
            return 0
        try:
            run(inp, out, header)
        except BaseException:
            try:
                write_marker(out, PYTHON_ERROR)
                write_frame(out, traceback.format_exc().encode("utf-8", "replace"))
                out.flush()
            except OSError:
                pass
            return 1


if __name__ == "__main__":
    code = main()
    # Out without tearing the interpreter down (its last task's objects
    # freed one by one), as PySpark's forked workers leave: what it wrote
    # is flushed first.
    for stream in (sys.stdout, sys.stderr, sys.__stdout__):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)
