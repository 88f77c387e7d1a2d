"""Worker processes for the reading and fixing of many files (`--jobs`).

Imported only by a run that uses them. The files go out in chunks and their reports come back
in the order sent. A worker that dies loses its chunk only: those files are done again one by
one, each in a process of its own (the one that dies again gets its DFX999), and the rest in a
new pool. Workers ignore Ctrl-C; the run's process stops them.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from types import TracebackType

from dockerfix.diagnostics import Diagnostic
from dockerfix.runner import MAX_CHUNK, FileReport, RuleCache, Task, compute, internal_error

_rules = RuleCache()  # a worker's rules, made as its files need them


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the run's process to handle


def _work(chunk: list[Task]) -> list[FileReport]:
    return [compute(task, _rules) for task in chunk]


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_size(tasks: int, jobs: int) -> int:
    """About four chunks per worker, so that one slow chunk does not leave the others idle at
    the end, and at most MAX_CHUNK files, so that a lost chunk costs little."""
    return max(1, min(MAX_CHUNK, -(-tasks // (4 * jobs))))


def _context() -> BaseContext:
    """fork on Linux: the workers start with everything imported; elsewhere the default."""
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker)


def _alone(task: Task) -> FileReport:
    """One file in a worker process of its own: its report, or its DFX999 if that dies too."""
    with _executor(1) as one:
        try:
            return one.submit(_work, [task]).result()[0]
        except BrokenProcessPool:
            message = "internal error: the worker process stopped while fixing this file"
            return FileReport(task.display, diagnostics=(Diagnostic.make("DFX999", 0, message),))
        except Exception as exc:  # noqa: BLE001 - e.g. a report that cannot be sent back
            return FileReport(task.display, diagnostics=(internal_error(exc),))


class Pool:
    """``jobs`` worker processes, started on first use and kept for the run."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._running: ProcessPoolExecutor | None = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._stop(kill=kind is not None)

    def stream(self, tasks: Iterable[Task], size: int) -> list[tuple[Task, FileReport]]:
        """Each task of ``tasks`` with its report, in their order. Chunks of ``size`` go out as
        ``tasks`` yields them, so that the workers start on the first while the run makes the
        next. A chunk lost (its worker died, or its reports could not come back) is done one
        file per process, and the chunks after it in a new pool."""
        sent: list[tuple[list[Task], Future[list[FileReport]] | None]] = []
        done: list[tuple[Task, FileReport]] = []
        try:
            for chunk in _chunks(tasks, size):
                sent.append((chunk, self._submit(chunk)))
            for at, (chunk, future) in enumerate(sent):
                try:
                    if future is None:
                        raise BrokenProcessPool("the pool was lost before this chunk went out")
                    done.extend(zip(chunk, future.result()))
                except Exception:  # noqa: BLE001 - a worker died, or its reports could not be sent back
                    self._stop(kill=True)
                    done.extend((task, _alone(task)) for task in chunk)
                    rest = [task for later, _ in sent[at + 1 :] for task in later]
                    done.extend(self.stream(rest, chunk_size(len(rest), self.jobs)))
                    break
        except BaseException:  # Ctrl-C: no worker goes on
            self._stop(kill=True)
            raise
        return done

    def _submit(self, chunk: list[Task]) -> Future[list[FileReport]] | None:
        """``chunk`` sent to a worker; None when the pool is already lost."""
        if self._running is None:
            self._running = _executor(self.jobs)
        try:
            return self._running.submit(_work, chunk)
        except BrokenProcessPool:
            return None

    def _stop(self, kill: bool) -> None:
        executor, self._running = self._running, None
        if executor is None:
            return
        if kill:
            terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
            if terminate is not None:
                terminate()
            else:
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)
