"""ClearMLLogger and ClearMLSaver against real ClearML tasks in offline mode (the offline
session's reports are read back), side by side with pytorch-ignite's."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types

import ignite.handlers as ig_handlers
import ignite.handlers.clearml_logger as ig_cml
import oxignite.handlers as ox_handlers
import oxignite.handlers.clearml_logger as ox_cml
import pytest
import torch

from ._logger_parity import (
    IGNITE,
    OXIGNITE,
    attach_common,
    bad_step,
    check_module_paths,
    same_error,
    train,
    wrong_logger,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("clearml") is None, reason="clearml is not installed"
)

MODS = {"ignite": ig_cml, "oxignite": ox_cml}
CHECKPOINT = {"ignite": ig_handlers.Checkpoint, "oxignite": ox_handlers.Checkpoint}
TASK_KWARGS = {  # keep the offline tasks light: no patching of torch, no monitoring threads
    "auto_connect_frameworks": False,
    "auto_resource_monitoring": False,
    "auto_connect_streams": False,
    "auto_connect_arg_parser": False,
    "reuse_last_task_id": False,
}


# Reports written by a thread rather than a subprocess (closing a task then takes ms, not
# seconds); no copy of the repository's uncommitted diff in each task.
_CONF = "sdk { development { report_use_subprocess: false, store_uncommitted_code_diff: false } }\n"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """ClearML's cache (where offline sessions go) in a temporary directory, and ``_CONF``.
    ClearML reads its configuration once, so this is set for the whole module."""
    root = tmp_path_factory.mktemp("clearml")
    conf = root / "clearml.conf"
    conf.write_text(_CONF)
    env = {"CLEARML_CONFIG_FILE": str(conf), "CLEARML_CACHE_DIR": str(root / "cache")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    for mod in MODS.values():
        mod.ClearMLLogger.set_bypass_mode(True)  # offline
    yield root / "cache"
    for mod in MODS.values():  # (clearml itself stays offline: going online needs a server)
        del mod.ClearMLLogger._bypass
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k)
        else:
            os.environ[k] = v


def _reports(cache_dir, task) -> list[dict]:
    """The task's reported scalars and plots (histograms), without timestamps and task ids."""
    path = cache_dir / "offline" / task.id / "metrics.jsonl"
    events = [e for line in path.read_text().splitlines() for e in json.loads(line)]
    for e in events:
        e.pop("timestamp")
        e.pop("task")
    return events


def test_same_reports_and_checkpoints_as_ignite(cache_dir, tmp_path):
    from clearml.binding.frameworks.tensorflow_bind import EventTrainsWriter

    stores, loggers = {}, {}
    for lib in (IGNITE, OXIGNITE):
        mod = MODS[lib.name]
        # clearml remembers the last step of each histogram title process-wide and shifts a
        # step that goes back ("wraparound"): start both runs from the same memory.
        EventTrainsWriter._title_series_wraparound_counter.clear()
        with pytest.warns(UserWarning, match="bypass mode"):
            logger = loggers[lib.name] = mod.ClearMLLogger(
                project_name="p", task_name=lib.name, **TASK_KWARGS
            )
        saver = mod.ClearMLSaver(logger, dirname=str(tmp_path / lib.name))

        def attach(lib, trainer, evaluator, model, optimizer, logger=logger, mod=mod, saver=saver):
            attach_common(logger, mod, lib, trainer, evaluator, optimizer)
            for handler in (
                mod.WeightsScalarHandler(model, tag="w"),
                mod.GradsScalarHandler(model, whitelist=["2."]),
                mod.WeightsHistHandler(model, whitelist=["0.bias"]),
                mod.GradsHistHandler(model, tag="g", whitelist=["2.bias"]),
            ):
                logger.attach(trainer, log_handler=handler, event_name=lib.Events.EPOCH_COMPLETED)
            checkpoint = CHECKPOINT[lib.name]({"model": model}, saver, n_saved=1)
            trainer.add_event_handler(lib.Events.EPOCH_COMPLETED, checkpoint)

        train(lib, attach)
        task = logger.get_task()
        logger.report_text("done")  # forwarded to clearml's Logger
        logger.close()
        stores[lib.name] = (_reports(cache_dir, task), sorted(os.listdir(tmp_path / lib.name)))

    assert stores["oxignite"] == stores["ignite"]
    reports, files = stores["oxignite"]
    assert files == ["model_6.pt"]
    scalars = {
        (e["metric"], e["variant"]): e for e in reports if e["type"] == "training_stats_scalar"
    }
    assert scalars["training", "loss"]["iter"] == 6
    assert scalars["validation/per_class", "1"] == {
        "type": "training_stats_scalar",
        "iter": 2,
        "metric": "validation/per_class",
        "variant": "1",
        "value": 0.5,
        "method": "get",
    }
    assert scalars["validation/nested", "b/1"]["value"] == 2.5
    assert scalars["opt/lr", "1"]["value"] == 0.01
    assert ("w/weights_norm/0", "weight") in scalars
    assert ("grads_norm/2", "bias") in scalars
    assert ("grads_norm/0", "bias") not in scalars  # not whitelisted
    plots = {(e["metric"], e["variant"]) for e in reports if e["type"] == "plot"}
    assert plots == {("weights_0", "bias"), ("g/grads_2", "bias")}

    # bad input (raised before anything is reported)
    same_error(
        bad_step(IGNITE, loggers["ignite"], ig_cml), bad_step(OXIGNITE, loggers["oxignite"], ox_cml)
    )


def test_saver_callbacks_as_ignite():
    """The callbacks ClearMLSaver hands to clearml's torch.save hook: each kept checkpoint gets
    a stable slot name, the model its file name and the checkpoint's metadata as comment.
    Called here with clearml's own ModelInfo, as the hook would; the model and the task are
    stand-ins with the two attributes the callbacks use."""
    from clearml.binding.frameworks import WeightsFileHandler as W

    def run(cml):
        slots, seen = [], []
        for filename, meta, comment in (
            ("model_3.pt", {"basename": "model", "score_name": "acc", "priority": 3}, None),
            ("model_7.pt", {"basename": "model", "priority": 7}, "old\nCheckpoint Metadata: x"),
            ("model_9.pt", None, "free text"),
        ):
            ctx = cml.ClearMLSaver._CallbacksContext(
                W.CallbackType, slots, "key", filename, "model", meta
            )
            model = types.SimpleNamespace(name=None, comment=comment)
            task = types.SimpleNamespace(name="task")
            info = W.ModelInfo(model, filename, "/tmp/" + filename, "id", "PyTorch", task)
            assert ctx.pre_callback("load", info) is info  # loads are left alone
            ctx.pre_callback(W.CallbackType.save, info)
            ctx.post_callback(W.CallbackType.save, info)
            seen.append((info.upload_filename, info.local_model_id, model.name, model.comment))
            if filename == "model_3.pt":
                slots[0] = None  # as remove() does: the slot is free again
        return seen, slots

    ours = run(ox_cml)
    assert ours == run(ig_cml)
    assert ours[0][0] == (
        "model_0.pt",
        "key:model_0.pt",
        "task: model_3.pt",
        "\nCheckpoint Metadata: basename=model, score_name=acc, priority=3",
    )
    assert ours[0][1][0] == "model_0.pt"  # the freed slot is reused
    assert ours[0][2][3] == "free text\nCheckpoint Metadata: none"


def test_saver_checks_as_ignite(cache_dir, tmp_path):
    err = same_error(  # no current task
        lambda: ig_cml.ClearMLSaver(dirname=str(tmp_path)),
        lambda: ox_cml.ClearMLSaver(dirname=str(tmp_path)),
    )
    assert "requires a ClearML Task" in str(err)
    err = same_error(
        lambda: ig_cml.ClearMLSaver(logger=object(), dirname=str(tmp_path)),
        lambda: ox_cml.ClearMLSaver(logger=object(), dirname=str(tmp_path)),
    )
    assert isinstance(err, TypeError)


def test_handlers_reject_other_loggers_as_ignite():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for make in (
        lambda m: m.OutputHandler("t", metric_names="all"),
        lambda m: m.OptimizerParamsHandler(opt),
        lambda m: m.WeightsScalarHandler(model),
        lambda m: m.WeightsHistHandler(model),
        lambda m: m.GradsScalarHandler(model),
        lambda m: m.GradsHistHandler(model),
    ):
        same_error(wrong_logger(IGNITE, make(ig_cml)), wrong_logger(OXIGNITE, make(ox_cml)))


def test_bypass_mode_follows_ci_variable(monkeypatch):
    class Fresh(ox_cml.ClearMLLogger):  # no bypass set on this class yet
        pass

    monkeypatch.delattr(ox_cml.ClearMLLogger, "_bypass", raising=False)
    monkeypatch.setenv("CI", "1")
    assert Fresh.bypass_mode() is True
    monkeypatch.delenv("CI")
    assert Fresh.bypass_mode() is False


def test_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "clearml", None)
    same_error(ig_cml.ClearMLLogger, ox_cml.ClearMLLogger)


def test_module_paths_as_ignite():
    check_module_paths("clearml_logger")
