"""What the fault-recovery and preemption tests share: running a training job in a forked
child that is interrupted (killed, or signalled) at chosen moments, and reading its trace."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from oxignite.engine import Events, create_supervised_trainer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CONTEXT = multiprocessing.get_context("fork")
JOB_TIMEOUT = 120  # seconds; a job takes about one

# Creating an optimizer imports torch._dynamo (seconds): done once when the tests import this
# module, not in every forked job.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def training(workdir: Path) -> SimpleNamespace:
    """The jobs' seeded training: a shuffling DataLoader with 2 (forked) workers and no
    explicit generator, an MLP with dropout, SGD with momentum, an LR scheduler stepped every
    iteration, ``create_supervised_trainer(..., deterministic=True)``. Each iteration appends
    ``"<iteration> <loss as float.hex()>"`` to ``workdir/trace.txt``. Returns ``loader``,
    ``model``, ``trainer`` and ``to_save`` (what a checkpoint holds)."""
    # DataLoader workers are forked, as in a script run on Linux, however this job started.
    multiprocessing.set_start_method("fork", force=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(60, 16, generator=g)
    y = x[:, :4].argmax(dim=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, num_workers=2)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.8)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss(), deterministic=True)
    trace = os.open(workdir / "trace.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    @trainer.on(Events.ITERATION_COMPLETED)
    def record(engine: Any) -> None:
        os.write(trace, f"{engine.state.iteration} {float(engine.state.output).hex()}\n".encode())

    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda: scheduler.step())
    to_save = {"model": model, "optimizer": optimizer, "scheduler": scheduler, "trainer": trainer}
    return SimpleNamespace(loader=loader, model=model, trainer=trainer, to_save=to_save)


def report_progress(trainer: Any, progress: Any) -> None:
    """Send each completed iteration through ``progress`` (a Connection), if given."""
    if progress is not None:
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED, lambda engine: progress.send(engine.state.iteration)
        )


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
