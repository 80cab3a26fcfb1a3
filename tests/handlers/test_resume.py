"""find_latest_checkpoint / resume_from_latest: the newest complete checkpoint of a
Checkpoint's folder, never a temporary or cut-short file; loading it continues a run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch
from oxignite.engine import DeterministicEngine, Engine, Events
from oxignite.handlers import Checkpoint, DiskSaver, find_latest_checkpoint, resume_from_latest


def _objects():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    trainer = Engine(lambda e, b: None)
    trainer.state.epoch_length, trainer.state.max_epochs = 10, 5  # as in a run
    return model, trainer


def _checkpoint(dirname: Path, model, trainer, **kwargs) -> Checkpoint:
    return Checkpoint(
        {"model": model, "trainer": trainer},
        DiskSaver(dirname, require_empty=False),
        **kwargs,
    )


def _save_at(checkpoint: Checkpoint, trainer: Engine, model, iteration: int) -> None:
    trainer.state.iteration = iteration
    with torch.no_grad():
        model.weight.fill_(float(iteration))
    checkpoint(trainer)


def test_empty_folder_loads_nothing(tmp_path: Path):
    model, trainer = _objects()
    before = model.weight.detach().clone()
    checkpoint = _checkpoint(tmp_path, model, trainer)
    assert find_latest_checkpoint(checkpoint) is None
    assert resume_from_latest(checkpoint) is None
    assert torch.equal(model.weight, before)


def test_newest_by_global_step_never_a_temp_or_foreign_file(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = _checkpoint(tmp_path, model, trainer, n_saved=None)
    for it in (6, 12, 9):  # written out of step order: the step decides, not the time
        _save_at(checkpoint, trainer, model, it)
    (tmp_path / ".checkpoint_20.pt.abcdefgh.tmp").write_bytes(b"partial")  # killed write
    (tmp_path / "other_30.pt").write_bytes(b"not ours")
    (tmp_path / "checkpoint_x.pt").write_bytes(b"no step")  # ours by pattern, older
    os.utime(tmp_path / "checkpoint_x.pt", (0, 0))

    assert find_latest_checkpoint(checkpoint) == tmp_path / "checkpoint_12.pt"
    model2, trainer2 = _objects()
    fresh = _checkpoint(tmp_path, model2, trainer2)
    assert resume_from_latest(fresh) == tmp_path / "checkpoint_12.pt"
    assert torch.equal(model2.weight, torch.full((2, 3), 12.0))
    assert trainer2.state.iteration == 12


def test_a_copied_folder_still_resumes_from_the_highest_step(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = _checkpoint(tmp_path / "a", model, trainer, n_saved=None)
    for it in (5, 10):
        _save_at(checkpoint, trainer, model, it)
    copy = tmp_path / "b"
    copy.mkdir()
    for name in ("checkpoint_10.pt", "checkpoint_5.pt"):  # copied newest first
        shutil.copy(tmp_path / "a" / name, copy / name)
    os.utime(copy / "checkpoint_5.pt", (2e9, 2e9))
    model2, trainer2 = _objects()
    assert resume_from_latest(_checkpoint(copy, model2, trainer2)) == copy / "checkpoint_10.pt"


def test_score_names_without_a_step_go_by_time(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = Checkpoint(
        {"model": model},
        DiskSaver(tmp_path, require_empty=False),
        score_function=lambda e: e.state.metrics["acc"],
        n_saved=None,
    )
    for i, acc in enumerate((0.5, 0.9, 0.7)):
        trainer.state.metrics = {"acc": acc}
        checkpoint(trainer)
        os.utime(tmp_path / f"model_{acc:.4f}.pt", ns=(10**18 + i, 10**18 + i))
    assert find_latest_checkpoint(checkpoint) == tmp_path / "model_0.7000.pt"


def test_a_file_cut_short_is_skipped_with_a_warning(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = _checkpoint(tmp_path, model, trainer, n_saved=None)
    _save_at(checkpoint, trainer, model, 4)
    _save_at(checkpoint, trainer, model, 8)
    data = (tmp_path / "checkpoint_8.pt").read_bytes()
    (tmp_path / "checkpoint_8.pt").write_bytes(data[: len(data) // 2])  # atomic=False, killed
    model2, trainer2 = _objects()
    with pytest.warns(UserWarning, match="checkpoint_8.pt does not load"):
        path = resume_from_latest(_checkpoint(tmp_path, model2, trainer2))
    assert path == tmp_path / "checkpoint_4.pt"
    assert trainer2.state.iteration == 4


def test_include_self_restores_pruning_across_restarts(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = _checkpoint(tmp_path, model, trainer, n_saved=2, include_self=True)
    for it in (3, 6, 9):
        _save_at(checkpoint, trainer, model, it)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint_6.pt", "checkpoint_9.pt"]

    model2, trainer2 = _objects()
    restarted = _checkpoint(tmp_path, model2, trainer2, n_saved=2, include_self=True)
    assert resume_from_latest(restarted) == tmp_path / "checkpoint_9.pt"
    assert restarted.last_checkpoint == tmp_path / "checkpoint_9.pt"
    _save_at(restarted, trainer2, model2, 12)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint_12.pt", "checkpoint_9.pt"]


def test_a_single_object_with_include_self(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = Checkpoint(
        {"model": model}, DiskSaver(tmp_path, require_empty=False), include_self=True
    )
    _save_at(checkpoint, trainer, model, 7)
    model2, _ = _objects()
    restarted = Checkpoint(
        {"model": model2}, DiskSaver(tmp_path, require_empty=False), include_self=True
    )
    assert resume_from_latest(restarted) == tmp_path / "model_7.pt"
    assert torch.equal(model2.weight, torch.full((2, 3), 7.0))
    assert restarted.last_checkpoint == tmp_path / "model_7.pt"


def test_resumed_run_continues_where_it_stopped(tmp_path: Path):
    seen = []

    def build():
        trainer = DeterministicEngine(lambda e, b: seen.append(b))
        checkpoint = Checkpoint({"trainer": trainer}, DiskSaver(tmp_path, require_empty=False))
        trainer.add_event_handler(Events.ITERATION_COMPLETED(every=3), checkpoint)
        return trainer, checkpoint

    trainer, checkpoint = build()
    trainer.add_event_handler(Events.ITERATION_COMPLETED(once=7), lambda e: e.terminate())
    trainer.run(range(10), max_epochs=2)
    trainer, checkpoint = build()
    assert resume_from_latest(checkpoint) == tmp_path / "trainer_6.pt"
    trainer.run(range(10), max_epochs=2)
    assert trainer.state.iteration == 20
    assert seen == [*range(7), *range(6, 10), *range(10)]


def test_explicit_to_load(tmp_path: Path):
    model, trainer = _objects()
    checkpoint = _checkpoint(tmp_path, model, trainer)
    _save_at(checkpoint, trainer, model, 2)
    model2, trainer2 = _objects()
    resume_from_latest(checkpoint, {"model": model2})
    assert torch.equal(model2.weight, torch.full((2, 3), 2.0))
    assert trainer2.state.iteration == 0


def test_bad_arguments(tmp_path: Path):
    model, trainer = _objects()
    with pytest.raises(TypeError, match="checkpoint"):
        resume_from_latest(str(tmp_path))
    in_memory = Checkpoint({"model": model}, lambda checkpoint, filename: None)
    with pytest.raises(TypeError, match="DiskSaver"):
        find_latest_checkpoint(in_memory)
    checkpoint = _checkpoint(tmp_path, model, trainer)
    with pytest.raises(ValueError, match="to_load"):
        resume_from_latest(checkpoint, {})
    with pytest.raises(TypeError, match="to_load"):
        resume_from_latest(checkpoint, [model])
