"""The one place where work leaves the UI thread.

Widgets never start threads. They call :meth:`Ops.run` with a plain function (a
``core`` call); it runs on a worker of a named *lane* and its outcome comes back
on the main thread through the returned :class:`Job`'s signals (or the
``on_done`` / ``on_error`` callbacks, which are called on the main thread too).

Lanes (each a thread pool with its own width):

* ``db``: every write to the corpus, one at a time, in submission order
  (as Anki's task manager serializes collection work);
* ``search``: whole queries and engine changes (new reranker, settings), one at a
  time, so an engine is never changed under a running search;
* ``first``: first-stage retrieval alone, so fast results never wait behind a rerank;
* ``models``: loading the cross-encoder and the embedding model;
* ``embed``: computing missing embeddings (long, cancellable);
* ``read``: short reads (a passage, the corpus table, an export), two at a time;
* ``train``: training a reranker on the user's marks (long, cancellable).

A job that raises delivers the exception to ``on_error``; without one, the
:attr:`Ops.unhandled` signal carries it to whoever shows error dialogs. Nothing is
ever swallowed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

LANE_WIDTH = {"db": 1, "search": 1, "first": 1, "models": 1, "embed": 1, "read": 2, "train": 1}


class JobCancelled(Exception):
    """The job was cancelled before it started."""


class TaskContext:
    """What a background function may use: progress, partial results, cancellation."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._job._progress_ready.emit(int(done), int(total), str(text))

    def partial(self, value: object) -> None:
        self._job._partial_ready.emit(value)

    def cancelled(self) -> bool:
        return self._job._cancel.is_set()


class Job(QObject):
    """A unit of background work; its signals are always emitted on the main thread."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)
    partial = Signal(object)
    finished = Signal()

    _done_ready = Signal(object, object)
    _progress_ready = Signal(int, int, str)
    _partial_ready = Signal(object)

    def __init__(self, name: str, lane: str) -> None:
        super().__init__()
        self.name = name
        self.lane = lane
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self._cancel = threading.Event()
        # self lives on the main thread: signals emitted by the worker are queued to these slots
        self._done_ready.connect(self._deliver_done)
        self._progress_ready.connect(self._deliver_progress)
        self._partial_ready.connect(self._deliver_partial)

    def cancel(self) -> None:
        """Ask the job to stop; a function that takes a context sees ``cancelled()``."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot(int, int, str)
    def _deliver_progress(self, done: int, total: int, text: str) -> None:
        if not self.done:
            self.progressed.emit(done, total, text)

    @Slot(object)
    def _deliver_partial(self, value: object) -> None:
        if not self.done:
            self.partial.emit(value)

    @Slot(object, object)
    def _deliver_done(self, result: object, error: object) -> None:
        self.done = True
        self.result = result
        self.error = error if isinstance(error, BaseException) else None
        try:
            if self.error is None:
                self.succeeded.emit(result)
            else:
                self.failed.emit(self.error)
        finally:
            self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, job: Job, fn: Callable[..., Any], with_context: bool) -> None:
        super().__init__()
        self.job = job
        self.fn = fn
        self.with_context = with_context

    def run(self) -> None:  # on a worker thread: touch no widget here
        job = self.job
        if job.cancelled:
            job._done_ready.emit(None, JobCancelled(f"{job.name} was cancelled"))
            return
        started = time.perf_counter()
        try:
            result = self.fn(TaskContext(job)) if self.with_context else self.fn()
        except Exception as exc:  # delivered to the main thread, never lost
            job.seconds = time.perf_counter() - started
            job._done_ready.emit(None, exc)
            return
        job.seconds = time.perf_counter() - started
        job._done_ready.emit(result, None)


class Ops(QObject):
    """Runs callables on worker lanes; outcomes arrive by signal on the main thread."""

    unhandled = Signal(str, object)  # job name, exception: a failure nobody asked to handle
    activity = Signal(int)  # jobs not yet delivered

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        for lane, width in LANE_WIDTH.items():
            pool = QThreadPool(self)
            pool.setMaxThreadCount(width)
            pool.setObjectName(f"ops-{lane}")
            self._pools[lane] = pool
        self._jobs: set[Job] = set()
        self._closed = False

    @property
    def active(self) -> int:
        """Jobs started or queued whose outcome has not been delivered yet."""
        return len(self._jobs)

    def jobs(self, lane: str | None = None) -> list[Job]:
        return [j for j in self._jobs if lane is None or j.lane == lane]

    def run(
        self,
        fn: Callable[..., Any],
        *,
        lane: str = "read",
        name: str = "",
        context: bool = False,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_partial: Callable[[Any], None] | None = None,
    ) -> Job:
        """Run ``fn()`` (or ``fn(context)`` with ``context=True``) on ``lane``; returns its Job."""
        if lane not in self._pools:
            raise ValueError(f"unknown lane {lane!r}; use one of {sorted(self._pools)}")
        job = Job(name or getattr(fn, "__name__", "job"), lane)
        if on_done is not None:
            job.succeeded.connect(on_done)
        job.failed.connect(lambda exc: self._failed(job, exc, on_error))
        if on_progress is not None:
            job.progressed.connect(on_progress)
        if on_partial is not None:
            job.partial.connect(on_partial)
        job.finished.connect(lambda: self._forget(job))
        if self._closed:
            job.cancel()
        self._jobs.add(job)
        self.activity.emit(len(self._jobs))
        self._pools[lane].start(_Runnable(job, fn, context))
        return job

    def _failed(self, job: Job, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        if isinstance(exc, JobCancelled):
            log.debug("%s cancelled", job.name)
            return
        log.error("%s failed: %s", job.name, exc, exc_info=(type(exc), exc, exc.__traceback__))
        if on_error is not None:
            on_error(exc)
        else:
            self.unhandled.emit(job.name, exc)

    def _forget(self, job: Job) -> None:
        self._jobs.discard(job)
        self.activity.emit(len(self._jobs))

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel what can be cancelled, drop queued work and wait for running jobs; True if all stopped."""
        self._closed = True
        for job in list(self._jobs):
            job.cancel()
        deadline = time.monotonic() + timeout_ms / 1000
        stopped = True
        for pool in self._pools.values():
            pool.clear()
            left = max(0, int((deadline - time.monotonic()) * 1000))
            stopped = pool.waitForDone(left) and stopped
        return stopped
