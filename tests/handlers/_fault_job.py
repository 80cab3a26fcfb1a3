"""The training job of the fault suite (test_fault_recovery.py), run in a child process.

A seeded MLP on synthetic data: a shuffling DataLoader with 2 workers and no explicit
generator, dropout, SGD with momentum, an LR scheduler stepped every iteration,
``create_supervised_trainer(..., deterministic=True)``, and a Checkpoint of model,
optimizer, scheduler and trainer every ``CHECKPOINT_EVERY`` iterations. On start it resumes
from the newest checkpoint in its directory, if any, with ``Checkpoint.load_objects``.

It appends ``"<iteration> <loss as float.hex()>"`` to ``trace.txt`` and sends the iteration
through ``progress`` (a multiprocessing Connection) after each iteration, saves the final weights to ``final.pt``, and can
stop itself with SIGKILL at a given point (``kill``):

- ``("iteration", k)``: after the k-th iteration this process runs;
- ``("save", n, nbytes)``: inside the n-th checkpoint save of this process, once ``nbytes``
  of the file have been written (or at its flush, if it is shorter).
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from typing import Any

import torch
from oxignite.engine import Events
from oxignite.handlers import Checkpoint, DiskSaver

from ._job_tools import InterruptingWriter, report_progress, training, wrap_nth_temp_file

CHECKPOINT_EVERY = 6
MAX_EPOCHS = 4  # 8 batches per epoch: checkpoints at 6, 12, 18, 24 (an epoch end), 30
N_SAVED = 2

def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_inside_save(nth: int, nbytes: int) -> None:
    """The n-th temporary checkpoint file written gets its process SIGKILLed after ``nbytes``
    (or at its flush, when shorter): before the rename."""
    wrap_nth_temp_file(nth, lambda f: InterruptingWriter(f, nbytes, _die, _die))


def latest_checkpoint(dirname: Path) -> Path | None:
    found = [(int(m.group(1)), p) for p in dirname.glob("checkpoint_*.pt")
             if (m := re.fullmatch(r"checkpoint_(\d+)\.pt", p.name))]  # fmt: skip
    return max(found)[1] if found else None


def train(workdir: str, kill: tuple | None = None, progress: Any = None) -> None:
    workdir_path = Path(workdir)
    job = training(workdir_path)
    trainer = job.trainer
    executed = 0

    @trainer.on(Events.ITERATION_COMPLETED)
    def count() -> None:
        nonlocal executed
        executed += 1

    ckpt_dir = workdir_path / "ckpt"
    checkpoint = Checkpoint(
        job.to_save, DiskSaver(ckpt_dir, require_empty=False), n_saved=N_SAVED, include_self=True
    )
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=CHECKPOINT_EVERY), checkpoint)
    report_progress(trainer, progress)
    if kill is not None and kill[0] == "iteration":
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED, lambda: _die() if executed == kill[1] else None
        )
    if kill is not None and kill[0] == "save":
        _kill_inside_save(kill[1], kill[2])

    latest = latest_checkpoint(ckpt_dir)
    if latest is not None:
        Checkpoint.load_objects({**job.to_save, "checkpointer": checkpoint}, latest)
    trainer.run(job.loader, max_epochs=MAX_EPOCHS)
    torch.save(job.model.state_dict(), workdir_path / "final.pt")
