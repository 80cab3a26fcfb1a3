"""Resume by running again: load the newest complete checkpoint of a Checkpoint's folder."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

import oxignite.distributed as idist
from oxignite.handlers.checkpoint import _TMP_NAME, Checkpoint, DiskSaver

__all__ = ["find_latest_checkpoint", "resume_from_latest"]

_logger = logging.getLogger(__name__)


def _candidates(checkpoint: Checkpoint) -> list[Path]:
    """The files of ``checkpoint``'s folder that it could have written, newest first."""
    saver = _disk_saver(checkpoint)
    try:
        names = os.listdir(saver.dirname)
    except FileNotFoundError:
        return []
    keyed = []
    for name in names:
        if _TMP_NAME.match(name):  # a write in progress, or killed mid-way
            continue
        fields = checkpoint._filename_fields(name)
        if fields is None:
            continue
        path = saver.dirname / name
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:  # removed meanwhile
            continue
        step = fields["global_step"]
        keyed.append(((int(step) if step is not None and _is_int(step) else -1, mtime), path))
    return [path for _, path in sorted(keyed, reverse=True)]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _disk_saver(checkpoint: Checkpoint) -> DiskSaver:
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"Argument checkpoint should be a Checkpoint, got {type(checkpoint)}")
    if not isinstance(checkpoint.save_handler, DiskSaver):
        raise TypeError(
            "Argument checkpoint should save with a DiskSaver (a folder), got "
            f"{type(checkpoint.save_handler)}"
        )
    return checkpoint.save_handler


def find_latest_checkpoint(checkpoint: Checkpoint) -> Path | None:
    """The newest checkpoint file that ``checkpoint`` could have written in its folder, or
    None. Newest: the highest global step in the file name (the iteration, by default), then
    the latest modification time (names without a step: score-only names). Temporary files of
    writes in progress or killed mid-way are never returned. The file is not opened: see
    :func:`resume_from_latest` for a check that it loads.

    Example::

        path = find_latest_checkpoint(checkpoint)  # e.g. Path("ckpt/checkpoint_1200.pt")
    """
    found = _candidates(checkpoint)
    return found[0] if found else None


def resume_from_latest(
    checkpoint: Checkpoint, to_load: Mapping | None = None, **load_kwargs: Any
) -> Path | None:
    """Loads the newest complete checkpoint of ``checkpoint``'s folder into ``to_load`` and
    returns its path; returns None, loading nothing, when there is none (a first start).

    This makes a training script resumable by running it again after a preemption: call it
    after building the objects and attaching the handlers, before ``trainer.run(...)``. With
    the trainer in the checkpoint and a :class:`~oxignite.engine.DeterministicEngine`, the run
    continues exactly (same batches, same results) from the saved iteration, also in the
    middle of an epoch. oxignite only: ignite has no such helper.

    The file is the one :func:`find_latest_checkpoint` names, loaded with
    ``torch.load(weights_only=True)``; a file that does not load (cut short by a non-atomic
    save, ``DiskSaver(atomic=False)``) is skipped with a warning for the next newest. Temporary
    files are never read. When the file has this handler's own state (``include_self=True``)
    it is restored too, so ``n_saved`` goes on pruning the files of the earlier runs. In a
    distributed run, the rank that saves (``save_on_rank``) picks the file and every rank
    loads that one (the folder must be visible to all ranks).

    Args:
        checkpoint: the Checkpoint whose folder to look in (with a :class:`DiskSaver`).
        to_load: the objects to load, like :meth:`Checkpoint.load_objects`'s; by default the
            Checkpoint's own ``to_save``.
        load_kwargs: passed to ``load_state_dict`` of models (e.g. ``strict=False``).

    Example::

        checkpoint = Checkpoint(to_save, DiskSaver("ckpt", require_empty=False), n_saved=2,
                                include_self=True)
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=500), checkpoint)
        trainer.add_event_handler(Events.TERMINATE, checkpoint)
        path = resume_from_latest(checkpoint)
        print("starting" if path is None else f"continuing from {path}")
        trainer.run(loader, max_epochs=10)
    """
    saver = _disk_saver(checkpoint)
    if to_load is None:
        to_load = checkpoint.to_save
    if not isinstance(to_load, Mapping):
        raise TypeError(f"Argument to_load should be a dictionary, got {type(to_load)}")
    if len(to_load) == 0:
        raise ValueError("Argument to_load should name the objects to load, got none")

    path, state = None, None
    if idist.get_rank() == saver.save_on_rank:
        for candidate in _candidates(checkpoint):
            try:
                state = torch.load(candidate, weights_only=True)
            except Exception as e:  # noqa: BLE001 - any unreadable file: try the next one
                warnings.warn(
                    f"Checkpoint {candidate} does not load ({type(e).__name__}: {e}); trying an "
                    "older one",
                    stacklevel=2,
                )
                continue
            path = candidate
            break
    if idist.get_world_size() > 1:
        chosen = idist.broadcast(str(path) if path is not None else "", src=saver.save_on_rank)
        path = Path(chosen) if chosen else None
        if path is not None and state is None:
            state = torch.load(path, weights_only=True)
    if path is None:
        return None

    if isinstance(state, Mapping) and "checkpointer" in state and checkpoint.include_self:
        checkpoint.load_state_dict(state["checkpointer"])
        if len(to_load) == 1 and next(iter(to_load)) not in state:
            # One object saved as its own state_dict, beside the "checkpointer" entry.
            state = {k: v for k, v in state.items() if k != "checkpointer"}
    Checkpoint.load_objects(to_load, state, **load_kwargs)
    _logger.info("Resumed from %s", path)
    return path
