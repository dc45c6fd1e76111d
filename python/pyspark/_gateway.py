"""The Python driver's connection to the Go driver (gospark-py's gateway):
a JSON request and its binary frames, a JSON response and its frames."""
import json
import os
import socket
import sys
import threading

from pyspark.serializers import write_frame, read_frame
from pyspark.errors import SparkJobError, PySparkException


def _flush(stream):
    try:
        stream.flush()
    except (AttributeError, ValueError, OSError):
        pass


class Gateway:
    def __init__(self, address=None, secret=None):
        address = address or os.environ.get("GOSPARK_PY_GATEWAY")
        secret = secret or os.environ.get("GOSPARK_PY_SECRET")
        if not address or not secret:
            raise PySparkException(
                "not started by gospark: run Python applications with `gospark submit app.py` "
                "(or gospark-py app.py)")
        host, port = address.rsplit(":", 1)
        self._sock = socket.create_connection((host, int(port)))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._r = self._sock.makefile("rb", buffering=1 << 18)
        self._w = self._sock.makefile("wb", buffering=1 << 18)
        self._lock = threading.Lock()
        write_frame(self._w, secret.encode())
        self._w.flush()
        self.on_accumulators = None

    def call(self, op, blobs=(), **fields):
        """Sends a request; returns the response's fields and frames, or
        raises SparkJobError with the driver's error."""
        req = dict(fields, op=op, blobs=len(blobs))
        # What the program printed shows before the work it asks for: its
        # output to a pipe or a file (a driver pod's log) is not held back
        # for the length of a job. (Spark runs the driver program unbuffered;
        # a write per print made printing 100,000 lines ten times slower.)
        _flush(sys.stdout)
        with self._lock:
            write_frame(self._w, json.dumps(req).encode())
            for b in blobs:
                write_frame(self._w, b)
            self._w.flush()
            resp = json.loads(read_frame(self._r))
            accums = [read_frame(self._r) for _ in range(resp.get("accums", 0))]
            out = [read_frame(self._r) for _ in range(resp.get("blobs", 0))]
        if accums and self.on_accumulators:
            self.on_accumulators(accums)
        if not resp.get("ok"):
            raise SparkJobError(resp.get("error", "unknown error"))
        return resp, out

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass
