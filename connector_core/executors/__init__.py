"""Where the night's work runs: `local` (this process, or a pool of processes) or `celery` (workers).

The units of work are the same functions everywhere (`tasks`): a partition of a stream, a batch
of records to sign, a batch of learners' CLRs. The pipeline hands them to the configured executor;
plugins never see which one it is.
"""

from connector_core.executors.base import Executor, executor_for

__all__ = ["Executor", "executor_for"]
