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

import multiprocessing
import os
import re
import signal
from pathlib import Path
from typing import Any

import torch
from oxignite.engine import Events, create_supervised_trainer
from oxignite.handlers import Checkpoint, DiskSaver
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ._job_tools import InterruptingWriter, wrap_nth_temp_file

CHECKPOINT_EVERY = 6
MAX_EPOCHS = 4  # 8 batches per epoch: checkpoints at 6, 12, 18, 24 (an epoch end), 30
N_SAVED = 2

# Creating an optimizer imports torch._dynamo (seconds): done once when this module is
# imported by the test, not in every job.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


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
    trainer = create_supervised_trainer(
        model, optimizer, nn.CrossEntropyLoss(), deterministic=True
    )

    trace = os.open(workdir_path / "trace.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    executed = 0

    @trainer.on(Events.ITERATION_COMPLETED)
    def record(engine: Any) -> None:
        nonlocal executed
        executed += 1
        it = engine.state.iteration
        os.write(trace, f"{it} {float(engine.state.output).hex()}\n".encode())

    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda: scheduler.step())
    to_save = {"model": model, "optimizer": optimizer, "scheduler": scheduler, "trainer": trainer}
    ckpt_dir = workdir_path / "ckpt"
    checkpoint = Checkpoint(
        to_save, DiskSaver(ckpt_dir, require_empty=False), n_saved=N_SAVED, include_self=True
    )
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=CHECKPOINT_EVERY), checkpoint)

    if progress is not None:
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED, lambda engine: progress.send(engine.state.iteration)
        )
    if kill is not None and kill[0] == "iteration":
        trainer.add_event_handler(
            Events.ITERATION_COMPLETED, lambda: _die() if executed == kill[1] else None
        )
    if kill is not None and kill[0] == "save":
        _kill_inside_save(kill[1], kill[2])

    latest = latest_checkpoint(ckpt_dir)
    if latest is not None:
        Checkpoint.load_objects({**to_save, "checkpointer": checkpoint}, latest)
    trainer.run(loader, max_epochs=MAX_EPOCHS)
    torch.save(model.state_dict(), workdir_path / "final.pt")
