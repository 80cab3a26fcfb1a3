"""The training job of the preemption suite (test_preemption.py), run in a child process that
leads its own process group (its DataLoader workers are in it too).

The fault suite's training (``_job_tools.training``: a seeded MLP, a shuffling DataLoader
with 2 workers, dropout, SGD with momentum, an LR scheduler, ``create_supervised_trainer(...,
deterministic=True)``), stopped the way clusters stop jobs: a signal to the whole process
group. It checkpoints every ``CHECKPOINT_EVERY`` iterations and at TERMINATE, stops on SIGTERM
with :class:`TerminateOnSignal`, and resumes with :func:`resume_from_latest` when started
again. Exit code 0: finished (``final.pt`` written); ``STOPPED``: stopped by the signal.

It appends ``"<iteration> <loss as float.hex()>"`` to ``trace.txt`` and sends the iteration
through ``progress`` after each iteration. ``signal_at`` makes it send SIGTERM to its own
process group at a given point:

- ``("loading", k)``: at GET_BATCH_STARTED of the k-th batch this process fetches (the
  workers are loading batches then);
- ``("save", n, nbytes)``: inside the n-th checkpoint write of this process, once ``nbytes``
  of the file have been written (in the background thread with ``async_save``).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import torch
from oxignite.engine import Events
from oxignite.handlers import Checkpoint, DiskSaver, TerminateOnSignal, resume_from_latest

from ._job_tools import InterruptingWriter, report_progress, training, wrap_nth_temp_file

CHECKPOINT_EVERY = 5
MAX_EPOCHS = 4  # 8 batches per epoch: 32 iterations
STOPPED = 75  # EX_TEMPFAIL: "run me again"

def _signal_group() -> None:
    os.killpg(os.getpgid(0), signal.SIGTERM)


def _signal_inside_save(nth: int, nbytes: int) -> None:
    """The n-th temporary checkpoint file written signals the job's process group after
    ``nbytes`` (or at its flush, when shorter), and the save goes on."""
    wrap_nth_temp_file(
        nth, lambda f: InterruptingWriter(f, nbytes, _signal_group, _signal_group)
    )


def train(
    workdir: str, async_save: bool, signal_at: tuple | None = None, progress: Any = None
) -> None:
    os.setpgid(0, 0)  # lead a process group: the signal goes to the workers too
    workdir_path = Path(workdir)
    job = training(workdir_path)
    trainer = job.trainer
    fetched = 0

    stop = TerminateOnSignal()
    trainer.add_event_handler(Events.ITERATION_COMPLETED, stop)
    saver = DiskSaver(workdir_path / "ckpt", require_empty=False, async_save=async_save)
    checkpoint = Checkpoint(job.to_save, saver, n_saved=2, include_self=True)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=CHECKPOINT_EVERY), checkpoint)
    trainer.add_event_handler(Events.TERMINATE, checkpoint)

    report_progress(trainer, progress)
    if signal_at is not None and signal_at[0] == "loading":

        @trainer.on(Events.GET_BATCH_STARTED)
        def count_fetch() -> None:
            nonlocal fetched
            fetched += 1
            if fetched == signal_at[1]:
                _signal_group()

    if signal_at is not None and signal_at[0] == "save":
        _signal_inside_save(signal_at[1], signal_at[2])

    resume_from_latest(checkpoint)
    trainer.run(job.loader, max_epochs=MAX_EPOCHS)
    if stop.stopped:
        sys.exit(STOPPED)
    torch.save(job.model.state_dict(), workdir_path / "final.pt")
