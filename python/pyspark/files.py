"""SparkFiles: where files shipped with the application are."""
import os


class SparkFiles:
    _root = None

    @classmethod
    def get(cls, filename):
        return os.path.join(cls.getRootDirectory(), filename)

    @classmethod
    def getRootDirectory(cls):
        return cls._root or os.getcwd()
