"""What the fault-recovery and preemption tests share: running a training job in a forked
child that is interrupted (killed, or signalled) at chosen moments, and reading its trace."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONTEXT = multiprocessing.get_context("fork")
JOB_TIMEOUT = 120  # seconds; a job takes about one


def run_job(
    target: Callable[..., None],
    args: tuple,
    interrupt_after: int | None,
    interrupt: Callable[[int], None],
) -> int:
    """Runs ``target(*args, progress)`` in a forked child until it exits and returns its exit
    code. With ``interrupt_after``, ``interrupt(pid)`` is called once the job has reported that
    many more iterations on ``progress``: it is then somewhere in the next one (or in its
    checkpoint save, or in a pass's setup)."""
    progress, job_progress = CONTEXT.Pipe(duplex=False)
    proc = CONTEXT.Process(target=target, args=(*args, job_progress))
    proc.start()
    job_progress.close()
    with progress:
        if interrupt_after is not None:
            for _ in range(interrupt_after):
                try:
                    if not progress.poll(JOB_TIMEOUT):
                        break
                    progress.recv()
                except EOFError:  # the job ended first
                    break
            else:
                interrupt(proc.pid)
        # join() waits on the process itself (a timeout would wait on a pipe that the
        # DataLoader workers of an interrupted job keep open for seconds); a hung job is
        # killed by the watchdog and fails the test instead of hanging the suite.
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            proc.kill()

        watchdog = threading.Timer(JOB_TIMEOUT, expire)
        watchdog.start()
        proc.join()
        watchdog.cancel()
    if timed_out.is_set():
        pytest.fail(f"the job did not finish within {JOB_TIMEOUT} s")
    return proc.exitcode


def read_trace(workdir: Path) -> list[tuple[int, str]]:
    """The job's ``(iteration, loss)`` lines."""
    lines = (workdir / "trace.txt").read_text().splitlines()
    return [(int(it), loss) for it, loss in (line.split() for line in lines)]


class InterruptingWriter:
    """A file object that calls ``at_nbytes`` once ``nbytes`` have been written to it (after
    writing the first ``nbytes`` of that write) and ``at_short_flush`` at a flush before."""

    def __init__(
        self,
        real: Any,
        nbytes: int,
        at_nbytes: Callable[[], None],
        at_short_flush: Callable[[], None],
    ) -> None:
        self._real, self._left = real, nbytes
        self._at_nbytes, self._at_short_flush = at_nbytes, at_short_flush

    def write(self, data: Any) -> int:
        view = memoryview(data)
        if 0 < self._left <= len(view):
            self._real.write(view[: self._left])
            self._real.flush()
            view, self._left = view[self._left :], 0
            self._at_nbytes()
            return self._real.write(view) + len(memoryview(data)) - len(view)
        self._left -= len(view)
        return self._real.write(data)

    def flush(self) -> None:
        if self._left > 0:  # the file was shorter than nbytes
            self._left = 0
            self._at_short_flush()
        self._real.flush()

    def fileno(self) -> int:
        return self._real.fileno()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def wrap_nth_temp_file(nth: int, wrap: Callable[[Any], Any]) -> None:
    """DiskSaver opens its temporary file with os.fdopen: the n-th one opened for writing is
    given to ``wrap``, whose result the saver writes to."""
    real_fdopen = os.fdopen
    count = 0

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        f = real_fdopen(fd, mode, *args, **kwargs)
        if mode == "wb":
            count += 1
            if count == nth:
                return wrap(f)
        return f

    os.fdopen = fdopen
