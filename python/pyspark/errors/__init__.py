"""Exceptions of gospark's PySpark."""


class PySparkException(Exception):
    """Base of the errors the engine reports to the Python program."""


class SparkJobError(PySparkException):
    """A job failed: str() holds the driver's error, with the Python
    traceback of the failed task and how many times it was tried (PySpark
    raises Py4JJavaError here)."""


Py4JJavaError = SparkJobError

__all__ = ["PySparkException", "SparkJobError", "Py4JJavaError"]
