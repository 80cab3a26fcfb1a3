"""NeptuneLogger against real Neptune runs in offline mode (the run's operation log is read
back), side by side with pytorch-ignite's."""

from __future__ import annotations

import json
import sys

import ignite
import ignite.handlers as ig_handlers
import ignite.handlers.neptune_logger as ig_npt
import oxignite
import oxignite.handlers as ox_handlers
import oxignite.handlers.neptune_logger as ox_npt
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

pytest.importorskip("neptune")

MODS = {"ignite": ig_npt, "oxignite": ox_npt}
CHECKPOINT = {"ignite": ig_handlers.Checkpoint, "oxignite": ox_handlers.Checkpoint}
VERSION_KEY = ["source_code", "integrations", "neptune-pytorch-ignite"]


def _offline_logger(mod):
    return mod.NeptuneLogger(
        mode="offline",
        capture_stdout=False,
        capture_stderr=False,
        capture_hardware_metrics=False,
        capture_traceback=False,
        git_ref=False,
        source_files=[],
    )


def _operations(root) -> list[dict]:
    """The run's operations (``{"type", "path", ...}``) from its offline log, without the
    timestamps and the ``sys/*`` attributes Neptune sets itself."""
    (log,) = (root / ".neptune" / "offline").glob("*/data-1.log")
    ops = []
    for line in log.read_text().splitlines():
        op = json.loads(line)["obj"]
        if op["path"][0] == "sys" or op["path"][:2] == ["source_code", "files"]:
            continue
        for value in op.get("values", []):
            value.pop("ts", None)
        if op["type"] == "UploadFile":  # the uploaded checkpoint's content, not its temp name
            uploaded = log.parent / "upload_path" / op.pop("tmp_file_name")
            state = torch.load(uploaded, weights_only=True)
            op["content"] = {k: v.tolist() for k, v in state.items()}
        ops.append(op)
    return ops


def test_same_operations_as_ignite(tmp_path, monkeypatch):
    loggers = {}
    for lib in (IGNITE, OXIGNITE):
        mod = MODS[lib.name]
        root = tmp_path / lib.name
        root.mkdir()
        monkeypatch.chdir(root)  # the offline run is stored under ./.neptune
        logger = loggers[lib.name] = _offline_logger(mod)
        logger["params/seed"] = 0  # the logger is the run

        def attach(lib, trainer, evaluator, model, optimizer, logger=logger, mod=mod):
            attach_common(logger, mod, lib, trainer, evaluator, optimizer)
            for handler in (
                mod.WeightsScalarHandler(model, tag="w"),
                mod.GradsScalarHandler(model, whitelist=["2."]),
            ):
                logger.attach(trainer, log_handler=handler, event_name=lib.Events.EPOCH_COMPLETED)
            saver = mod.NeptuneSaver(logger)
            checkpoint = CHECKPOINT[lib.name]({"model": model}, saver, n_saved=1)
            trainer.add_event_handler(lib.Events.EPOCH_COMPLETED, checkpoint)

        train(lib, attach)
    # bad input, while real runs are open
    same_error(
        bad_step(IGNITE, loggers["ignite"], ig_npt), bad_step(OXIGNITE, loggers["oxignite"], ox_npt)
    )
    stores = {}
    for name, logger in loggers.items():
        logger.close()
        stores[name] = _operations(tmp_path / name)

    ig_ops, ox_ops = stores["ignite"], stores["oxignite"]
    version = {"ignite": ignite.__version__, "oxignite": oxignite.__version__}
    for name, ops in stores.items():  # each library writes its own version
        (op,) = [op for op in ops if op["path"] == VERSION_KEY]
        assert op["value"] == version[name]
        ops.remove(op)

    # oxignite's Checkpoint removes the old file only after the new one is saved (ignite removes
    # it first): the same uploads and deletions, in another order.
    def split(ops):
        files = [op for op in ops if op["type"] in ("UploadFile", "DeleteAttribute")]
        return [op for op in ops if op not in files], sorted(files, key=json.dumps)

    assert split(ox_ops) == split(ig_ops)

    def series(path):
        return [
            (v["step"], v["value"]) for op in ox_ops if op["path"] == path for v in op["values"]
        ]

    assert [s for s, _ in series(["training", "loss"])] == [float(i) for i in range(1, 7)]
    assert series(["validation", "per_class", "1"]) == [(1.0, 0.25), (2.0, 0.5)]
    assert series(["opt", "lr", "group_1"]) == [(1.0, 0.02), (2.0, 0.01)]
    assert len(series(["w", "weights_norm", "0", "weight"])) == 2
    assert len(series(["grads_norm", "2", "bias"])) == 2
    assert series(["grads_norm", "0", "bias"]) == []  # not whitelisted
    uploads = [op for op in ox_ops if op["type"] == "UploadFile"]
    assert [op["path"] for op in uploads] == [["model_3.pt"], ["model_6.pt"]]
    deleted = [op["path"] for op in ox_ops if op["type"] == "DeleteAttribute"]
    assert deleted == [["model_3.pt"]]


def test_handlers_reject_other_loggers_as_ignite():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for make in (
        lambda m: m.OutputHandler("t", metric_names="all"),
        lambda m: m.OptimizerParamsHandler(opt),
        lambda m: m.WeightsScalarHandler(model),
        lambda m: m.GradsScalarHandler(model),
    ):
        same_error(wrong_logger(IGNITE, make(ig_npt)), wrong_logger(OXIGNITE, make(ox_npt)))
    same_error(
        lambda: ig_npt.WeightsScalarHandler(model, reduction=lambda t: t),
        lambda: ox_npt.WeightsScalarHandler(model, reduction=lambda t: t),
    )


def test_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "neptune", None)
    same_error(ig_npt.NeptuneLogger, ox_npt.NeptuneLogger)


def test_module_paths_as_ignite():
    check_module_paths("neptune_logger")
