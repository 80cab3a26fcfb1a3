"""DiskSaver(async_save=True): a save returns once a snapshot is in memory; the write runs in
a background thread, one at a time; failures raise in the training thread; the end of a run
and the interpreter's exit wait for it; pruning, last_checkpoint, temp-file cleanup and
torch.load(weights_only=True) keep working.

The writes are held back with a pickle module whose Pickler waits on an Event (passed to
torch.save through DiskSaver's kwargs), so "the write has not happened yet" is a state the
test controls, never a race."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import Checkpoint, DiskSaver, ModelCheckpoint
from oxignite.handlers._checkpoint_async import snapshot


def _gated_pickle(
    gate: threading.Event,
    fail: threading.Event | None = None,
    reached: threading.Event | None = None,
) -> types.ModuleType:
    """A pickle module whose dumps set ``reached`` (the temporary file is open then) and wait
    for ``gate``; the first dump after ``fail`` is set raises (and clears it)."""

    class Pickler(pickle.Pickler):
        def dump(self, obj):
            if reached is not None:
                reached.set()
            assert gate.wait(30), "the test never opened the gate"
            if fail is not None and fail.is_set():
                fail.clear()
                raise OSError("disk full (simulated)")
            return super().dump(obj)

    module = types.ModuleType("gated_pickle")
    module.Pickler = Pickler
    module.__version__ = pickle.format_version
    module.dump = pickle.dump
    return module


def _files(dirname: Path) -> list[str]:
    return sorted(os.listdir(dirname))


def test_save_returns_with_a_snapshot_and_writes_in_the_background(tmp_path: Path):
    gate = threading.Event()
    model = torch.nn.Linear(3, 2)
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate))
    checkpoint = Checkpoint({"model": model}, saver)
    engine = Engine(lambda e, b: None)
    engine.state.iteration = 1
    expected = {k: v.clone() for k, v in model.state_dict().items()}

    checkpoint(engine)  # returns although the write is held back
    assert saver._writer.busy
    assert not (tmp_path / "model_1.pt").exists()
    with torch.no_grad():  # training goes on: the snapshot is not the live state
        model.weight.add_(1.0)
    gate.set()
    assert checkpoint.last_checkpoint == tmp_path / "model_1.pt"  # waits for the write
    assert not saver._writer.busy
    saved = torch.load(tmp_path / "model_1.pt", weights_only=True)
    for name, value in expected.items():
        assert torch.equal(saved[name], value)
    assert not torch.equal(saved["weight"], model.weight.detach())


def test_one_write_in_flight_next_save_waits(tmp_path: Path):
    gate = threading.Event()
    model = torch.nn.Linear(2, 2)
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate))
    checkpoint = Checkpoint({"model": model}, saver, n_saved=None)
    engine = Engine(lambda e, b: None)
    engine.state.iteration = 1
    checkpoint(engine)
    engine.state.iteration = 2
    second = threading.Thread(target=checkpoint, args=(engine,))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the first write
    assert _files(tmp_path) == [] or all(n.endswith(".tmp") for n in _files(tmp_path))
    gate.set()
    second.join()
    saver.wait()
    assert _files(tmp_path) == ["model_1.pt", "model_2.pt"]


def test_pruning_removes_the_old_file_only_after_the_new_one_landed(tmp_path: Path):
    gate, reached = threading.Event(), threading.Event()
    gate.set()
    model = torch.nn.Linear(2, 2)
    module = _gated_pickle(gate, reached=reached)
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=module)
    checkpoint = Checkpoint({"model": model}, saver, n_saved=2)
    engine = Engine(lambda e, b: None)
    for it in (1, 2):
        engine.state.iteration = it
        checkpoint(engine)
    saver.wait()
    gate.clear()
    reached.clear()
    engine.state.iteration = 3
    checkpoint(engine)  # supersedes model_1.pt, whose removal waits behind the write
    assert reached.wait(30)
    names = _files(tmp_path)
    assert "model_1.pt" in names and "model_2.pt" in names
    assert any(n.startswith(".model_3.pt.") and n.endswith(".tmp") for n in names)  # kept
    gate.set()
    saver.wait()
    assert _files(tmp_path) == ["model_2.pt", "model_3.pt"]
    for name in _files(tmp_path):
        torch.load(tmp_path / name, weights_only=True)


def test_failed_write_raises_at_the_next_save_and_keeps_the_old_file(tmp_path: Path):
    gate, fail = threading.Event(), threading.Event()
    gate.set()
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate, fail))
    checkpoint = Checkpoint({"model": torch.nn.Linear(2, 2)}, saver, n_saved=1)
    engine = Engine(lambda e, b: None)
    engine.state.iteration = 1
    checkpoint(engine)
    saver.wait()
    fail.set()
    engine.state.iteration = 2
    checkpoint(engine)  # this write fails in the background; model_1's removal is dropped
    engine.state.iteration = 3
    with pytest.raises(OSError, match="disk full"):
        checkpoint(engine)
    assert _files(tmp_path) == ["model_1.pt"]  # no partial file, no temp file, old one kept
    checkpoint(engine)  # raised once: saving works again
    saver.wait()
    assert "model_3.pt" in _files(tmp_path)


def test_run_end_waits_for_the_pending_write(tmp_path: Path):
    gate = threading.Event()
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate))
    model = torch.nn.Linear(2, 2)
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.ITERATION_COMPLETED(every=2), Checkpoint({"m": model}, saver))
    threading.Timer(0.05, gate.set).start()  # opened after the run's last save, whenever
    trainer.run(range(4))
    assert not saver._writer.busy  # run() returned after the write
    assert _files(tmp_path) == ["m_4.pt"]


def test_run_end_raises_the_failure_of_the_last_write(tmp_path: Path):
    gate, fail = threading.Event(), threading.Event()
    gate.set()
    fail.set()
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate, fail))
    trainer = Engine(lambda e, b: None)
    trainer.add_event_handler(Events.COMPLETED, Checkpoint({"m": torch.nn.Linear(2, 2)}, saver))
    with pytest.raises(OSError, match="disk full"):
        trainer.run(range(3))
    assert _files(tmp_path) == []


def test_an_exception_of_the_run_is_not_masked(tmp_path: Path):
    gate, fail = threading.Event(), threading.Event()
    gate.set()
    fail.set()
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate, fail))

    def step(engine, batch):
        if engine.state.iteration == 2:
            raise ValueError("step failed")

    trainer = Engine(step)
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED, Checkpoint({"m": torch.nn.Linear(2, 2)}, saver)
    )
    with pytest.raises(ValueError, match="step failed"):
        trainer.run(range(3))
    assert not saver._writer.busy
    with pytest.raises(OSError, match="disk full"):  # still pending, raised once
        saver.wait()
    saver.wait()


def test_terminate_and_checkpoint_at_terminate_are_on_disk_when_run_returns(tmp_path: Path):
    gate = threading.Event()
    saver = DiskSaver(tmp_path, async_save=True, pickle_module=_gated_pickle(gate))
    model = torch.nn.Linear(2, 2)

    def step(engine, batch):
        if engine.state.iteration == 3:
            engine.terminate()

    trainer = Engine(step)
    trainer.add_event_handler(Events.TERMINATE, Checkpoint({"m": model}, saver))
    trainer.add_event_handler(Events.TERMINATE, lambda: gate.set())
    trainer.run(range(10), max_epochs=2)
    assert _files(tmp_path) == ["m_3.pt"]


def test_model_checkpoint_async_and_temp_file_cleanup(tmp_path: Path):
    stale = tmp_path / ".mymodel_1.pt.abcdefgh.tmp"  # left by a killed write
    stale.write_bytes(b"partial")
    handler = ModelCheckpoint(tmp_path, n_saved=1, require_empty=False, async_save=True)
    trainer = Engine(lambda e, b: None)
    model = torch.nn.Linear(2, 2)
    trainer.add_event_handler(Events.ITERATION_COMPLETED, handler, {"mymodel": model})
    trainer.run(range(3))
    assert handler.last_checkpoint == tmp_path / "mymodel_3.pt"
    assert _files(tmp_path) == ["mymodel_3.pt"]
    state = torch.load(handler.last_checkpoint, weights_only=True)
    assert torch.equal(state["weight"], model.weight.detach())


def test_interpreter_exit_waits_for_the_pending_write(tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import pickle, threading, types, torch
        from oxignite.engine import Engine
        from oxignite.handlers import Checkpoint, DiskSaver

        class Pickler(pickle.Pickler):
            def dump(self, obj):
                threading.main_thread().join()  # writes only once the script has ended
                return super().dump(obj)

        module = types.ModuleType("slow_pickle")
        module.Pickler, module.__version__ = Pickler, pickle.format_version
        saver = DiskSaver({str(tmp_path)!r}, async_save=True, pickle_module=module)
        engine = Engine(lambda e, b: None)
        engine.state.iteration = 7
        Checkpoint({{"model": torch.nn.Linear(2, 2)}}, saver)(engine)
        assert saver._writer.busy
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    assert _files(tmp_path) == ["model_7.pt"]
    torch.load(tmp_path / "model_7.pt", weights_only=True)


def test_snapshot_copies_each_storage_once_and_keeps_types():
    base = torch.arange(12.0)
    tied = torch.nn.Parameter(torch.ones(3))
    state = {
        "a": base[:4],
        "b": base.view(3, 4)[1:],
        "tied1": tied,
        "tied2": tied,
        "nested": [1, (2.5, "x", None), {"t": torch.zeros(2, dtype=torch.int64)}],
        "grad": torch.ones(2, requires_grad=True),
    }
    copied = snapshot(state)
    base.add_(100)
    with torch.no_grad():
        tied.add_(5)
    assert torch.equal(copied["a"], torch.arange(4.0))
    assert torch.equal(copied["b"], torch.arange(4.0, 12.0).view(2, 4))
    assert copied["a"].untyped_storage().data_ptr() == copied["b"].untyped_storage().data_ptr()
    assert copied["a"].untyped_storage().data_ptr() != base.untyped_storage().data_ptr()
    assert copied["tied1"] is copied["tied2"] or (
        copied["tied1"].untyped_storage().data_ptr() == copied["tied2"].untyped_storage().data_ptr()
    )
    assert type(copied["tied1"]) is torch.nn.Parameter and torch.equal(
        copied["tied1"], torch.ones(3)
    )
    assert copied["nested"][:2] == [1, (2.5, "x", None)]
    assert copied["grad"].requires_grad


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_snapshot_moves_device_tensors_to_the_cpu():
    t = torch.arange(6.0, device="cuda")
    copied = snapshot({"t": t, "v": t[2:]})
    t.add_(1)
    assert copied["t"].device.type == "cpu"
    assert torch.equal(copied["t"], torch.arange(6.0))
    assert torch.equal(copied["v"], torch.arange(2.0, 6.0))


def test_async_save_must_be_a_bool(tmp_path: Path):
    with pytest.raises(TypeError, match="async_save"):
        DiskSaver(tmp_path, async_save="yes")


def test_successive_snapshots_reuse_memory_and_hold_their_own_values(tmp_path: Path):
    model = torch.nn.Linear(4, 3)
    saver = DiskSaver(tmp_path, async_save=True)
    checkpoint = Checkpoint({"model": model}, saver, n_saved=None)
    engine = Engine(lambda e, b: None)
    expected, memory = {}, []
    for it in (1, 2, 3):
        with torch.no_grad():
            model.weight.fill_(float(it))
        engine.state.iteration = it
        checkpoint(engine)
        expected[it] = model.weight.detach().clone()
        memory.append(sorted(s.data_ptr() for s in saver._pool._used))
    saver.wait()
    for it, weight in expected.items():
        saved = torch.load(tmp_path / f"model_{it}.pt", weights_only=True)
        assert torch.equal(saved["weight"], weight), it
    # Each snapshot was copied into the memory of the one before (its write was done).
    assert len(memory[0]) == 2 and memory[0] == memory[1] == memory[2]
