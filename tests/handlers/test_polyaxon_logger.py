"""PolyaxonLogger against a real offline Polyaxon run (its event files are read back), side by
side with pytorch-ignite's."""

from __future__ import annotations

import sys

import ignite.handlers.polyaxon_logger as ig_plx
import oxignite.handlers.polyaxon_logger as ox_plx
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

pytest.importorskip("polyaxon.tracking")

MODS = {"ignite": ig_plx, "oxignite": ox_plx}


def _offline_logger(mod, path):
    return mod.PolyaxonLogger(
        is_offline=True,
        project="p",
        artifacts_path=str(path),
        track_code=False,
        track_env=False,
        track_logs=False,
        collect_resources=False,
    )


def _metrics(path) -> dict[str, list[tuple[int, float]]]:
    """``{event file name: [(step, value), ...]}`` from the run's metric event files
    (``step|timestamp|metric`` lines)."""
    out = {}
    for f in sorted((path / "events" / "metric").glob("*.plx")):
        rows = [line.split("|") for line in f.read_text().splitlines()[1:]]
        out[f.stem] = [(int(step), float(value)) for step, _ts, value in rows]
    return out


def test_same_metrics_and_errors_as_ignite(tmp_path, monkeypatch):
    # One run per library (ending a Polyaxon run takes seconds): checked for both the metrics
    # it stores and the errors on bad input.
    monkeypatch.chdir(tmp_path)
    loggers = {}
    for lib in (IGNITE, OXIGNITE):
        mod = MODS[lib.name]
        logger = loggers[lib.name] = _offline_logger(mod, tmp_path / lib.name)
        logger.log_inputs(seed=0)  # forwarded to the run

        def attach(lib, trainer, evaluator, model, optimizer, logger=logger, mod=mod):
            attach_common(logger, mod, lib, trainer, evaluator, optimizer)

        train(lib, attach)
    same_error(
        bad_step(IGNITE, loggers["ignite"], ig_plx), bad_step(OXIGNITE, loggers["oxignite"], ox_plx)
    )
    stores = {}
    for name, logger in loggers.items():
        logger.close()
        stores[name] = _metrics(tmp_path / name)
    loggers["oxignite"].close()  # errors while ending again are ignored, as in ignite

    ours = stores["oxignite"]
    assert ours == stores["ignite"]
    assert [s for s, _ in ours["training__loss"]] == list(range(1, 7))
    assert ours["training__alpha"] == [(i, 0.5) for i in range(1, 7)]
    assert ours["validation__per_class__1"] == [(1, 0.25), (2, 0.5)]
    assert ours["validation__nested__b__1"] == [(1, 2.5), (2, 2.5)]
    assert ours["opt__lr__group_1"] == [(1, 0.02), (2, 0.01)]
    assert "validation__name" not in ours  # text is not logged


def test_handlers_reject_other_loggers_as_ignite():
    same_error(
        wrong_logger(IGNITE, ig_plx.OutputHandler("t", metric_names="all")),
        wrong_logger(OXIGNITE, ox_plx.OutputHandler("t", metric_names="all")),
    )
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    same_error(
        wrong_logger(IGNITE, ig_plx.OptimizerParamsHandler(opt)),
        wrong_logger(OXIGNITE, ox_plx.OptimizerParamsHandler(opt)),
    )


def test_missing_package_error(monkeypatch):
    for name in ("polyaxon", "polyaxon.tracking", "polyaxon_client", "polyaxon_client.tracking"):
        monkeypatch.setitem(sys.modules, name, None)
    same_error(ig_plx.PolyaxonLogger, ox_plx.PolyaxonLogger)


def test_module_paths_as_ignite():
    check_module_paths("polyaxon_logger")
