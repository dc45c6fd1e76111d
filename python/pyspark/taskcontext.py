"""TaskContext: which task a Python function runs in (on a worker)."""


class TaskContext:
    _current = None

    def __init__(self, split, attempt, stage, task):
        self._split = split
        self._attempt = attempt
        self._stage = stage
        self._task = task

    @classmethod
    def get(cls):
        return cls._current

    def partitionId(self):
        return self._split

    def attemptNumber(self):
        return self._attempt

    def stageId(self):
        return self._stage

    def taskAttemptId(self):
        return self._task
