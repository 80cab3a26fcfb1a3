from __future__ import annotations

import os
from pathlib import Path

import ignite.engine as ig_engine
import ignite.handlers as ig_handlers
import oxignite.distributed as idist
import oxignite.engine as ox_engine
import oxignite.handlers.checkpoint as ckpt_module
import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import (
    Checkpoint,
    CheckpointEvents,
    DiskSaver,
    LRScheduler,
    ModelCheckpoint,
    global_step_from_engine,
)

from .conftest import make_data, make_update

SCORES = [0.5, 0.7, 0.6, 0.7, 0.9, 0.1]


def _pt_files(dirname) -> list:
    return sorted(f for f in os.listdir(dirname) if f.endswith(".pt"))


def _run_scenario(engine_mod, handler_cls, dirname, to_save, max_epochs=6, **kwargs):
    """Save at every epoch end of a 3-iteration-per-epoch run; ``score_function`` reads
    ``SCORES`` by epoch and ``global_step_transform`` returns the epoch when requested."""
    trainer = engine_mod.Engine(lambda e, b: None)
    if kwargs.pop("with_score", False):
        kwargs["score_function"] = lambda e: SCORES[e.state.epoch - 1]
    if kwargs.pop("with_int_score", False):
        kwargs["score_function"] = lambda e: [3, 1, 4, 1, 5, 9][e.state.epoch - 1]
    if kwargs.pop("with_gst", False):
        kwargs["global_step_transform"] = lambda e, _: e.state.epoch
    handler = handler_cls(to_save, str(dirname), **kwargs)
    trainer.add_event_handler(engine_mod.Events.EPOCH_COMPLETED, handler)
    trainer.run([0, 1, 2], max_epochs=max_epochs)
    return handler


CONFIGS = [
    {},
    {"n_saved": 3},
    {"n_saved": None},
    {"filename_prefix": "best"},
    {"with_score": True, "n_saved": 2},
    {"with_score": True, "score_name": "acc", "n_saved": 2},
    {"with_score": True, "score_name": "acc", "with_gst": True, "n_saved": 3},
    {"with_score": True, "with_gst": True, "filename_prefix": "p", "n_saved": 2},
    {"with_gst": True, "n_saved": 2},
    {"with_int_score": True, "score_name": "rank", "n_saved": 2},
    {"with_score": True, "n_saved": 1, "greater_or_equal": True},
    {"with_score": True, "n_saved": 2, "greater_or_equal": True, "score_name": "acc"},
    {"filename_pattern": "{global_step}-{name}.{ext}", "with_gst": True, "n_saved": 2},
    {
        "filename_pattern": "{name}_{score_name}_{score}.{ext}",
        "with_score": True,
        "score_name": "s",
    },
    {"filename_pattern": "latest.pt"},
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("n_objects", [1, 2])
def test_filenames_and_retention_match_ignite(tmp_path, config, n_objects):
    model = torch.nn.Linear(2, 2)
    to_save = {"model": model}
    if n_objects == 2:
        to_save["optimizer"] = torch.optim.SGD(model.parameters(), lr=0.1)
    ours = _run_scenario(
        __import__("oxignite.engine", fromlist=["Engine"]),
        Checkpoint,
        tmp_path / "ours",
        to_save,
        **dict(config),
    )
    ref = _run_scenario(
        ig_engine, ig_handlers.Checkpoint, tmp_path / "ref", to_save, **dict(config)
    )
    assert _pt_files(tmp_path / "ours") == _pt_files(tmp_path / "ref")
    assert [tuple(it) for it in ours._saved] == [tuple(it) for it in ref._saved]
    assert ours.last_checkpoint == tmp_path / "ours" / ref.last_checkpoint.name


def test_default_names_keep_last_n(tmp_path):
    model = torch.nn.Linear(2, 2)
    h = _run_scenario(
        __import__("oxignite.engine", fromlist=["Engine"]),
        Checkpoint,
        tmp_path,
        {"m": model},
        n_saved=2,
    )
    assert _pt_files(tmp_path) == ["m_15.pt", "m_18.pt"]
    assert h.last_checkpoint == tmp_path / "m_18.pt"
    loaded = torch.load(h.last_checkpoint, weights_only=True)
    assert set(loaded) == {"weight", "bias"}  # single object: its state dict directly
    assert torch.equal(loaded["weight"], model.weight)


def test_best_scores_are_kept_with_score_name(tmp_path):
    model = torch.nn.Linear(2, 2)
    h = _run_scenario(
        __import__("oxignite.engine", fromlist=["Engine"]),
        Checkpoint,
        tmp_path,
        {"model": model},
        with_score=True,
        score_name="val_acc",
        n_saved=2,
        filename_prefix="best",
    )
    # scores by epoch: 0.5 0.7 0.6 0.7 0.9 0.1 -> best two: 0.9, then the first 0.7
    assert _pt_files(tmp_path) == ["best_model_val_acc=0.7000.pt", "best_model_val_acc=0.9000.pt"]
    assert [it.priority for it in h._saved] == [0.7, 0.9]
    assert h.last_checkpoint.name == "best_model_val_acc=0.9000.pt"


def test_model_checkpoint_docs_example(tmp_path):
    handler = ModelCheckpoint(tmp_path, "myprefix", n_saved=2, create_dir=True, require_empty=False)
    model = torch.nn.Linear(3, 3)
    trainer = Engine(lambda engine, batch: None)
    trainer.add_event_handler(Events.EPOCH_COMPLETED(every=2), handler, {"mymodel": model})
    trainer.run([0, 1, 2, 3, 4], max_epochs=6)
    assert _pt_files(tmp_path) == ["myprefix_mymodel_20.pt", "myprefix_mymodel_30.pt"]
    assert handler.last_checkpoint == tmp_path / "myprefix_mymodel_30.pt"


def test_model_checkpoint_requires_objects(tmp_path):
    handler = ModelCheckpoint(tmp_path)
    with pytest.raises(RuntimeError, match="No objects"):
        handler(Engine(lambda e, b: None), {})


def test_evaluator_best_model_with_trainer_global_step(tmp_path):
    model = torch.nn.Linear(2, 1)
    trainer = Engine(lambda e, b: None)
    evaluator = Engine(lambda e, b: None)
    accs = iter([0.61, 0.77, 0.70, 0.78])

    @evaluator.on(Events.COMPLETED)
    def set_metric(engine):
        engine.state.metrics["accuracy"] = next(accs)

    handler = Checkpoint(
        {"model": model},
        tmp_path,
        n_saved=2,
        filename_prefix="best",
        score_name="accuracy",
        global_step_transform=global_step_from_engine(trainer),
    )
    evaluator.add_event_handler(Events.COMPLETED, handler)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run([0]))
    trainer.run([0, 1], max_epochs=4)
    assert _pt_files(tmp_path) == [
        "best_model_2_accuracy=0.7700.pt",
        "best_model_4_accuracy=0.7800.pt",
    ]


def test_include_self_stores_handler_state(tmp_path):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    h = _run_scenario(
        __import__("oxignite.engine", fromlist=["Engine"]),
        Checkpoint,
        tmp_path,
        {"model": model, "optimizer": opt},
        n_saved=2,
        include_self=True,
    )
    ckpt = torch.load(h.last_checkpoint, weights_only=True)
    assert set(ckpt) == {"model", "optimizer", "checkpointer"}
    assert ckpt["checkpointer"]["_saved"] == [(15, "checkpoint_15.pt"), (18, "checkpoint_18.pt")]

    h2 = Checkpoint({"model": model}, DiskSaver(tmp_path, require_empty=False), include_self=True)
    Checkpoint.load_objects({"checkpointer": h2}, ckpt)
    assert h2.last_checkpoint == tmp_path / "checkpoint_18.pt"

    with pytest.raises(ValueError, match="checkpointer"):
        Checkpoint({"checkpointer": model}, tmp_path / "x", include_self=True)


def test_include_self_with_single_object_is_flat_as_in_ignite(tmp_path):
    # ignite saves the single object's state_dict itself, with a "checkpointer" key beside.
    model = torch.nn.Linear(2, 1)
    files = {}
    for lib, cls, engine_cls in (
        ("ox", Checkpoint, Engine),
        ("ig", ig_handlers.Checkpoint, ig_engine.Engine),
    ):
        engine = engine_cls(lambda e, b: None)
        engine.state.iteration, engine.state.epoch = 7, 1
        h = cls({"model": model}, tmp_path / lib, include_self=True)
        h(engine)
        assert _pt_files(tmp_path / lib) == ["model_7.pt"]
        files[lib] = torch.load(h.last_checkpoint, weights_only=True)
    ox, ig = files["ox"], files["ig"]
    assert list(ox) == list(ig) == ["weight", "bias", "checkpointer"]
    assert ox["checkpointer"] == ig["checkpointer"] == {"_saved": [(7, "model_7.pt")]}
    assert torch.equal(ox["weight"], ig["weight"])
    assert "checkpointer" not in model.state_dict()  # the object's own state_dict is untouched
    # Loading it into the model alone needs strict=False, in both.
    for load in (Checkpoint.load_objects, ig_handlers.Checkpoint.load_objects):
        other = torch.nn.Linear(2, 1)
        with pytest.raises(RuntimeError, match="checkpointer"):
            load({"model": other}, tmp_path / "ox" / "model_7.pt")
        load({"model": other}, tmp_path / "ig" / "model_7.pt", strict=False)
        assert torch.equal(other.weight, model.weight)


def _tmp_name(target: str, tag: str = "abcd1234") -> str:
    return f".{target}.{tag}.tmp"


def test_leftover_temp_files_removed_at_start_and_on_save(tmp_path):
    model = torch.nn.Linear(2, 1)
    mine = [_tmp_name("checkpoint_7.pt"), _tmp_name("checkpoint_14.pt", "x_9zzzzz")]
    others = [
        _tmp_name("best_checkpoint_7.pt"),  # another prefix: another writer's
        _tmp_name("model_7.pt"),  # another name
        ".checkpoint_7.pt.abc.tmp",  # not DiskSaver's temp pattern
        "checkpoint_7.pt.abcd1234.tmp",
        "notes.tmp",
    ]
    for name in mine + others:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / _tmp_name("checkpoint_7.pt")).write_bytes(b"other directory")
    to_save = {"model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1)}
    h = Checkpoint(to_save, DiskSaver(tmp_path, require_empty=False))
    assert sorted(os.listdir(tmp_path)) == sorted([*others, "sub"])
    # A save killed mid-write leaves a temp file; the next save removes it.
    (tmp_path / _tmp_name("checkpoint_3.pt", "q1w2e3r4")).write_bytes(b"partial")
    h(_engine_at(iteration=5))
    assert sorted(os.listdir(tmp_path)) == sorted([*others, "sub", "checkpoint_5.pt"])
    assert os.listdir(tmp_path / "sub") == [_tmp_name("checkpoint_7.pt")]


def test_leftover_temp_files_follow_the_filename_pattern(tmp_path):
    model = torch.nn.Linear(2, 1)
    names = [
        _tmp_name("run1-model-12.pt"),
        _tmp_name("run1-model-x.pt"),
        _tmp_name("run2-model-12.pt"),
        _tmp_name("best_model_0.5.pt"),
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    Checkpoint(
        {"model": model},
        DiskSaver(tmp_path, require_empty=False),
        filename_prefix="run1",
        filename_pattern="{filename_prefix}-{name}-{global_step}.{ext}",
    )
    assert sorted(os.listdir(tmp_path)) == sorted(names[2:])
    # ModelCheckpoint knows its objects' names only at the first save.
    mc = ModelCheckpoint(tmp_path, "best", require_empty=False)
    assert sorted(os.listdir(tmp_path)) == sorted(names[2:])
    mc(_engine_at(iteration=3), {"model": model})
    assert sorted(os.listdir(tmp_path)) == sorted([names[2], "best_model_3.pt"])


def _engine_at(iteration: int, epoch: int = 1) -> Engine:
    engine = Engine(lambda e, b: None)
    engine.state.iteration = iteration
    engine.state.epoch = epoch
    return engine


def test_load_objects_variants(tmp_path):
    torch.manual_seed(1)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    path = tmp_path / "x.pt"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)

    m2 = torch.nn.Linear(3, 2)
    o2 = torch.optim.SGD(m2.parameters(), lr=0.01, momentum=0.1)
    for checkpoint in (path, str(path), torch.load(path, weights_only=True)):
        Checkpoint.load_objects({"model": m2, "optimizer": o2}, checkpoint)
        assert torch.equal(m2.weight, model.weight) and torch.equal(m2.bias, model.bias)
        assert o2.param_groups[0]["lr"] == 0.3 and o2.param_groups[0]["momentum"] == 0.9

    # a single object may be given its state dict directly
    m3 = torch.nn.Linear(3, 2)
    Checkpoint.load_objects({"model": m3}, model.state_dict())
    assert torch.equal(m3.weight, model.weight)

    # kwargs go to nn.Module.load_state_dict
    partial = {"weight": model.weight.detach().clone()}
    m4 = torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError):
        Checkpoint.load_objects({"model": m4}, partial)
    Checkpoint.load_objects({"model": m4}, partial, strict=False)
    assert torch.equal(m4.weight, model.weight)

    with pytest.raises(TypeError, match="checkpoint"):
        Checkpoint.load_objects({"model": m4}, 12)
    with pytest.raises(TypeError, match="load_state_dict"):
        Checkpoint.load_objects({"model": object()}, {})
    with pytest.raises(ValueError, match="optimizer"):
        Checkpoint.load_objects({"model": m2, "optimizer": o2}, {"model": model.state_dict()})


def test_reload_objects(tmp_path):
    model = torch.nn.Linear(2, 2)
    trainer = Engine(lambda e, b: None)
    handler = ModelCheckpoint(tmp_path, "pre", n_saved=None)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, handler, {"w": model})
    trainer.run([0, 1], max_epochs=2)
    other = torch.nn.Linear(2, 2)
    handler.reload_objects({"w": other}, global_step=4)
    assert torch.equal(other.weight, model.weight)


def test_state_dict_roundtrip(tmp_path):
    h = Checkpoint({"m": torch.nn.Linear(1, 1)}, tmp_path, n_saved=2)
    for it in (3, 6, 9):
        h(_engine_at(it))
    sd = h.state_dict()
    assert sd["_saved"] == [(6, "m_6.pt"), (9, "m_9.pt")]
    h2 = Checkpoint(
        {"m": torch.nn.Linear(1, 1)}, DiskSaver(tmp_path, require_empty=False), n_saved=2
    )
    h2.load_state_dict(sd)
    h2(_engine_at(12))  # continues retention across the restart: removes m_6.pt
    assert _pt_files(tmp_path) == ["m_12.pt", "m_9.pt"]
    with pytest.raises(ValueError, match="_saved"):
        h2.load_state_dict({})


def test_same_filename_overwrites_without_growing(tmp_path):
    model = torch.nn.Linear(1, 1)
    h = Checkpoint({"model": model}, tmp_path, filename_pattern="{name}.{ext}", n_saved=2)
    for it in (1, 2, 3):
        with torch.no_grad():
            model.weight.fill_(float(it))
        h(_engine_at(it))
    assert _pt_files(tmp_path) == ["model.pt"]
    assert len(h._saved) == 1
    assert torch.load(tmp_path / "model.pt", weights_only=True)["weight"].item() == 3.0


def test_saved_checkpoint_event_and_custom_save_handlers(tmp_path):
    saved = {}

    def two_arg_saver(checkpoint, filename):
        saved[filename] = checkpoint

    trainer = Engine(lambda e, b: None)
    fired = []
    h = Checkpoint({"m": torch.nn.Linear(1, 1)}, two_arg_saver, n_saved=2)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, h)
    trainer.register_events(*CheckpointEvents)
    trainer.add_event_handler(Checkpoint.SAVED_CHECKPOINT, lambda e: fired.append(e.state.epoch))
    trainer.run([0], max_epochs=3)
    assert sorted(saved) == ["m_1.pt", "m_2.pt", "m_3.pt"]  # plain callables cannot remove
    assert fired == [1, 2, 3]
    assert h.last_checkpoint == "m_3.pt"

    class MemorySaver(ckpt_module.BaseSaveHandler):
        def __init__(self):
            self.files, self.meta = {}, {}

        def __call__(self, checkpoint, filename, metadata=None):
            self.files[filename] = checkpoint
            self.meta[filename] = metadata

        def remove(self, filename):
            del self.files[filename]

    saver = MemorySaver()
    h = Checkpoint({"m": torch.nn.Linear(1, 1)}, saver, n_saved=2, filename_prefix="pre")
    for it in (1, 2, 3):
        h(_engine_at(it))
    assert sorted(saver.files) == ["pre_m_2.pt", "pre_m_3.pt"]
    assert saver.meta["pre_m_3.pt"] == {"basename": "pre_m", "score_name": None, "priority": 3}


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"to_save": [torch.nn.Linear(1, 1)]}, TypeError, "to_save"),
        ({"to_save": {"a": object()}}, TypeError, "state_dict"),
        ({"save_handler": 42}, TypeError, "save_handler"),
        ({"n_saved": 0}, ValueError, "n_saved"),
        ({"n_saved": -3}, ValueError, "n_saved"),
        ({"n_saved": 1.5}, TypeError, "n_saved"),
        ({"score_function": "accuracy"}, TypeError, "score_function"),
        ({"global_step_transform": 3}, TypeError, "global_step_transform"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, exc, match):
    args = {"to_save": {"m": torch.nn.Linear(1, 1)}, "save_handler": tmp_path}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        Checkpoint(**args)


@pytest.mark.parametrize("handler", ["checkpoint", "model_checkpoint"])
def test_filename_prefix_is_not_type_checked_like_ignite(tmp_path, handler):
    # ignite only needs len() of the prefix; a pattern without {filename_prefix} ignores it.
    names = []
    for engine_mod, handlers in ((ox_engine, ckpt_module), (ig_engine, ig_handlers)):
        folder = tmp_path / engine_mod.__name__
        to_save = {"model": torch.nn.Linear(1, 1)}
        kwargs = {"filename_prefix": to_save, "filename_pattern": "chk-{name}--{global_step}.{ext}"}
        if handler == "checkpoint":
            h = handlers.Checkpoint(to_save, handlers.DiskSaver(folder), **kwargs)
        else:
            h = handlers.ModelCheckpoint(folder, **kwargs)
        trainer = engine_mod.Engine(lambda e, b: None)
        trainer.state.iteration = 203
        if handler == "checkpoint":
            h(trainer)
        else:
            h(trainer, to_save)
        names.append(Path(h.last_checkpoint).name)
    assert names == ["chk-model--203.pt", "chk-model--203.pt"]


def test_model_checkpoint_last_checkpoint_needs_its_disk_saver(tmp_path):
    messages = []
    for engine_mod, handlers in ((ox_engine, ckpt_module), (ig_engine, ig_handlers)):
        h = handlers.ModelCheckpoint(tmp_path / engine_mod.__name__, "pre")
        h.save_handler = lambda checkpoint, filename: None  # replaced after construction
        h(engine_mod.Engine(lambda e, b: None), {"model": torch.nn.Linear(1, 1)})
        with pytest.raises(RuntimeError) as info:
            h.last_checkpoint  # noqa: B018 - the property raises
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "save_handler should be DiskSaver" in messages[0]


def test_score_function_must_return_number(tmp_path):
    h = Checkpoint({"m": torch.nn.Linear(1, 1)}, tmp_path, score_function=lambda e: "high")
    with pytest.raises(ValueError, match="score_function"):
        h(_engine_at(1))


def test_get_default_score_fn():
    engine = _engine_at(1)
    engine.state.metrics = {"acc": 0.25, "loss": 2.0}
    assert Checkpoint.get_default_score_fn("acc")(engine) == 0.25
    assert Checkpoint.get_default_score_fn("loss", -1.0)(engine) == -2.0
    with pytest.raises(ValueError, match="score_sign"):
        Checkpoint.get_default_score_fn("loss", 2.0)


def test_setup_filename_pattern():
    assert (
        Checkpoint.setup_filename_pattern()
        == "{filename_prefix}_{name}_{global_step}_{score_name}={score}.{ext}"
    )
    assert (
        Checkpoint.setup_filename_pattern(False, False, False, True) == "{name}_{global_step}.{ext}"
    )
    with pytest.raises(ValueError):
        Checkpoint.setup_filename_pattern(with_score=False, with_global_step=False)
    with pytest.raises(ValueError):
        Checkpoint.setup_filename_pattern(with_score=False, with_score_name=True)


# --------------------------------------------------------------------------- DiskSaver


def test_disk_saver_directory_checks(tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(ValueError, match="not found"):
        DiskSaver(missing, create_dir=False)
    DiskSaver(missing, create_dir=True)
    assert missing.is_dir()

    (missing / "old.pt").write_bytes(b"x")
    with pytest.raises(ValueError, match="require_empty"):
        DiskSaver(missing)
    DiskSaver(missing, require_empty=False)
    with pytest.raises(ValueError, match="require_empty"):
        ModelCheckpoint(missing)


def test_disk_saver_writes_readable_files_and_removes(tmp_path):
    saver = DiskSaver(tmp_path)
    saver({"a": torch.ones(2)}, "a.pt")
    assert torch.equal(torch.load(tmp_path / "a.pt", weights_only=True)["a"], torch.ones(2))
    assert os.listdir(tmp_path) == ["a.pt"]  # no temporary file left behind
    assert os.stat(tmp_path / "a.pt").st_mode & 0o044 == 0o044
    saver.remove("a.pt")
    assert os.listdir(tmp_path) == []

    direct = DiskSaver(tmp_path / "d", atomic=False)
    direct({"b": 1}, "b.pt")
    assert torch.load(tmp_path / "d" / "b.pt", weights_only=True) == {"b": 1}


def _half_writing_save(real_save):
    def fake_save(obj, f, **kwargs):
        import io

        buf = io.BytesIO()
        real_save(obj, buf)
        data = buf.getvalue()
        if hasattr(f, "write"):
            f.write(data[: len(data) // 2])
            f.flush()
        else:
            Path(f).write_bytes(data[: len(data) // 2])
        raise OSError("disk full (simulated)")

    return fake_save


def test_crash_mid_write_leaves_no_partial_file(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 4)
    h = Checkpoint({"model": model}, tmp_path, n_saved=1)
    h(_engine_at(5))
    good = torch.load(tmp_path / "model_5.pt", weights_only=True)

    monkeypatch.setattr(torch, "save", _half_writing_save(torch.save))
    with torch.no_grad():
        model.weight.add_(1.0)
    with pytest.raises(OSError, match="disk full"):
        h(_engine_at(10))
    monkeypatch.undo()

    # nothing under the new name, no temp file, and the previous checkpoint is intact and kept
    assert os.listdir(tmp_path) == ["model_5.pt"]
    assert h._saved == [Checkpoint.Item(5, "model_5.pt")]
    assert h.last_checkpoint == tmp_path / "model_5.pt"
    again = torch.load(tmp_path / "model_5.pt", weights_only=True)
    assert torch.equal(again["weight"], good["weight"])

    # the handler still works after the failure and rotates normally
    h(_engine_at(15))
    assert os.listdir(tmp_path) == ["model_15.pt"]


def test_crash_overwriting_same_name_keeps_old_content(tmp_path, monkeypatch):
    model = torch.nn.Linear(2, 2)
    h = Checkpoint({"model": model}, tmp_path, filename_pattern="last.pt")
    h(_engine_at(1))
    before = (tmp_path / "last.pt").read_bytes()
    monkeypatch.setattr(torch, "save", _half_writing_save(torch.save))
    with pytest.raises(OSError):
        h(_engine_at(2))
    assert os.listdir(tmp_path) == ["last.pt"]
    assert (tmp_path / "last.pt").read_bytes() == before


def test_state_dict_failure_writes_nothing(tmp_path):
    class Broken:
        def state_dict(self):
            raise RuntimeError("cannot serialize")

        def load_state_dict(self, sd):
            pass

    h = Checkpoint({"model": torch.nn.Linear(1, 1), "broken": Broken()}, tmp_path)
    with pytest.raises(RuntimeError, match="cannot serialize"):
        h(_engine_at(1))
    assert os.listdir(tmp_path) == []
    assert h.last_checkpoint is None


def test_unpicklable_object_fails_atomically(tmp_path):
    class Unpicklable:
        def state_dict(self):
            return {"fn": lambda: None}  # torch.save fails while writing

    h = Checkpoint({"model": torch.nn.Linear(64, 64), "x": Unpicklable()}, tmp_path)
    with pytest.raises(Exception):  # noqa: B017 - pickling error type is torch-version specific
        h(_engine_at(1))
    assert os.listdir(tmp_path) == []


def test_leftover_temp_file_is_not_a_checkpoint(tmp_path):
    saver = DiskSaver(tmp_path)
    saver({"a": 1}, "a.pt")
    # a hard crash (kill -9) during a later write leaves the temporary file behind
    leftover = tmp_path / ".checkpoint_9.pt.abc123.tmp"
    leftover.write_bytes(b"truncated")
    DiskSaver(tmp_path / "other")  # unrelated
    assert _pt_files(tmp_path) == ["a.pt"]
    # require_empty ignores it, but sees the real checkpoint
    os.remove(tmp_path / "a.pt")
    DiskSaver(tmp_path, require_empty=True)


def test_save_on_rank(tmp_path, monkeypatch):
    monkeypatch.setattr(idist, "get_rank", lambda: 1)
    h = Checkpoint({"m": torch.nn.Linear(1, 1)}, tmp_path / "r1", n_saved=1)
    assert not (tmp_path / "r1").exists()  # the directory is created by the saving rank only
    h(_engine_at(1))
    h(_engine_at(2))
    assert not (tmp_path / "r1").exists()
    assert h.last_checkpoint == tmp_path / "r1" / "m_2.pt"  # bookkeeping is kept on every rank

    h1 = Checkpoint({"m": torch.nn.Linear(1, 1)}, tmp_path / "r2", save_on_rank=1)
    h1(_engine_at(3))
    assert _pt_files(tmp_path / "r2") == ["m_3.pt"]


# --------------------------------------------------------------------------- resume


def _make_run(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    lr_sched = LRScheduler(torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.7))
    trainer = Engine(make_update(model, optimizer))
    trainer.add_event_handler(Events.ITERATION_STARTED, lr_sched)
    return model, optimizer, lr_sched, trainer


def test_resume_gives_same_weights_as_uninterrupted_run(tmp_path):
    data = make_data(5)

    model_a, _, _, trainer_a = _make_run()
    trainer_a.run(data, max_epochs=5)

    # interrupted run: checkpoints every epoch, stopped after epoch 2
    model_b, opt_b, sched_b, trainer_b = _make_run()
    to_save = {"model": model_b, "optimizer": opt_b, "lr_scheduler": sched_b, "trainer": trainer_b}
    handler = Checkpoint(to_save, tmp_path, n_saved=2)
    trainer_b.add_event_handler(Events.EPOCH_COMPLETED, handler)
    trainer_b.add_event_handler(Events.EPOCH_COMPLETED(once=2), lambda e: e.terminate())
    trainer_b.run(data, max_epochs=5)
    assert trainer_b.state.epoch == 2
    assert handler.last_checkpoint == tmp_path / "checkpoint_10.pt"

    # fresh process: new objects (different init), resume from the file
    model_c, opt_c, sched_c, trainer_c = _make_run(seed=123)
    to_load = {"model": model_c, "optimizer": opt_c, "lr_scheduler": sched_c, "trainer": trainer_c}
    Checkpoint.load_objects(to_load, handler.last_checkpoint)
    assert trainer_c.state.iteration == 10 and trainer_c.state.epoch == 2
    seen = []
    trainer_c.add_event_handler(Events.ITERATION_STARTED, lambda e: seen.append(e.state.iteration))
    trainer_c.run(data, max_epochs=5)

    assert seen[0] == 11 and seen[-1] == 25
    assert trainer_c.state.epoch == 5
    assert opt_c.param_groups[0]["lr"] == pytest.approx(0.05 * 0.7**8)  # lr schedule continued
    for p_a, p_c in zip(model_a.parameters(), model_c.parameters()):
        assert torch.equal(p_a, p_c)


def test_process_killed_mid_write_leaves_only_a_temp_file(tmp_path):
    """A real hard crash: the writing process dies (os._exit) after writing half the bytes."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import io, os, torch
        from oxignite.engine import Engine
        from oxignite.handlers import Checkpoint

        real_save = torch.save
        model = torch.nn.Linear(32, 32)
        engine = Engine(lambda e, b: None)
        h = Checkpoint({{"model": model}}, {str(tmp_path)!r}, n_saved=2)
        engine.state.iteration = 1
        h(engine)

        def dying_save(obj, f, **kwargs):
            buf = io.BytesIO()
            real_save(obj, buf)
            f.write(buf.getvalue()[:100])
            f.flush()
            os._exit(3)

        torch.save = dying_save
        engine.state.iteration = 2
        h(engine)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=120, check=False)
    assert proc.returncode == 3

    files = sorted(os.listdir(tmp_path))
    assert _pt_files(tmp_path) == ["model_1.pt"]  # nothing under the final name model_2.pt
    leftovers = [f for f in files if f != "model_1.pt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".") and not leftovers[0].endswith(".pt")
    torch.load(tmp_path / "model_1.pt", weights_only=True)  # the previous file is intact

    # a restarted run only sees real checkpoints
    saver = DiskSaver(tmp_path, require_empty=False)
    h = Checkpoint({"model": torch.nn.Linear(32, 32)}, saver, n_saved=2)
    h(_engine_at(2))
    assert _pt_files(tmp_path) == ["model_1.pt", "model_2.pt"]
    assert torch.load(h.last_checkpoint, weights_only=True)["weight"].shape == (32, 32)


# -- ignite's HAVE_ZERO flag and DiskSaver._save_func (ignite's own tests use them) ---------


def test_have_zero_matches_ignite_and_torch():
    from ignite.handlers.checkpoint import HAVE_ZERO as IGNITE_HAVE_ZERO
    from oxignite.handlers.checkpoint import HAVE_ZERO

    try:
        from torch.distributed.optim import ZeroRedundancyOptimizer  # noqa: F401
    except ImportError:
        importable = False
    else:
        importable = True
    assert HAVE_ZERO is IGNITE_HAVE_ZERO is importable


@pytest.mark.parametrize("atomic", [True, False])
def test_save_func_writes_as_ignites(tmp_path, atomic):
    from ignite.handlers import DiskSaver as IgniteDiskSaver

    state = {"w": torch.arange(6.0).view(2, 3), "step": 3}
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "ignite"
    ours = DiskSaver(ours_dir, atomic=atomic)
    theirs = IgniteDiskSaver(theirs_dir, atomic=atomic)
    ours._save_func(state, ours_dir / "x.pt", torch.save)
    theirs._save_func(state, theirs_dir / "x.pt", torch.save)
    assert os.listdir(ours_dir) == os.listdir(theirs_dir) == ["x.pt"]
    mine = torch.load(ours_dir / "x.pt", weights_only=True)
    ignite_saved = torch.load(theirs_dir / "x.pt", weights_only=True)
    assert mine["step"] == ignite_saved["step"] == 3
    assert torch.equal(mine["w"], ignite_saved["w"])
    assert (os.stat(ours_dir / "x.pt").st_mode & 0o777) == (os.stat(theirs_dir / "x.pt").st_mode & 0o777)


def test_save_func_is_what_a_save_calls_and_only_on_the_saving_rank(tmp_path):
    calls = []

    class Recording(DiskSaver):
        def _save_func(self, checkpoint, path, func):
            calls.append((path.name, func))
            super()._save_func(checkpoint, path, func)

    Recording(tmp_path)({"a": torch.ones(1)}, "a.pt")
    assert calls == [("a.pt", torch.save)]
    Recording(tmp_path / "other", save_on_rank=1)({"a": torch.ones(1)}, "b.pt")  # rank 0 here
    assert calls == [("a.pt", torch.save)]
    assert os.listdir(tmp_path) == ["a.pt"]


def _fixed_name_saver(handlers_mod, dirname, fixed):
    """MONAI's CheckpointSaver's save handler: every checkpoint written to one fixed name."""

    class FixedNameSaver(handlers_mod.DiskSaver):
        def __call__(self, checkpoint, filename, metadata=None):
            super().__call__(checkpoint, fixed, metadata)

        def remove(self, filename):
            super().remove(fixed)

    return FixedNameSaver(str(dirname), require_empty=False)


def test_save_handler_with_its_own_names_keeps_ignites_order(tmp_path):
    """ignite removes the checkpoint that drops out, then saves; a handler that maps names its
    own way (one fixed name) must end with its file, as with ignite."""
    kept = {}
    for name, engine_mod, handlers_mod in (
        ("ignite", ig_engine, ig_handlers),
        ("oxignite", ox_engine, ckpt_module),
    ):
        model = torch.nn.Linear(2, 1)
        engine = engine_mod.Engine(lambda e, b: None)
        checkpoint = handlers_mod.Checkpoint(
            {"model": model}, _fixed_name_saver(handlers_mod, tmp_path / name, "final.pt"), n_saved=1
        )
        engine.add_event_handler(engine_mod.Events.ITERATION_COMPLETED, checkpoint)
        engine.run(range(3))
        kept[name] = sorted(p.name for p in (tmp_path / name).iterdir())
    assert kept["oxignite"] == kept["ignite"] == ["final.pt"]


def test_disk_saver_removes_the_old_file_after_writing_the_new_one(tmp_path, monkeypatch):
    """oxignite's own DiskSaver: the file that drops out goes only once the new one is there."""
    order = []
    saver = DiskSaver(str(tmp_path), require_empty=False)
    real_remove = DiskSaver.remove
    monkeypatch.setattr(
        DiskSaver,
        "remove",
        lambda self, f: order.append(("remove", f, sorted(os.listdir(tmp_path))))
        or real_remove(self, f),
    )
    engine = Engine(lambda e, b: None)
    engine.add_event_handler(
        Events.ITERATION_COMPLETED, Checkpoint({"model": torch.nn.Linear(2, 1)}, saver, n_saved=1)
    )
    engine.run(range(2))
    assert order == [("remove", "model_1.pt", ["model_1.pt", "model_2.pt"])]
