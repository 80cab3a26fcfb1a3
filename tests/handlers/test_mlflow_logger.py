"""MLflowLogger against a real MLflow file store, side by side with pytorch-ignite's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import ignite.handlers.mlflow_logger as ig_mlflow
import oxignite.handlers.mlflow_logger as ox_mlflow
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

mlflow = pytest.importorskip("mlflow")

MODS = {"ignite": ig_mlflow, "oxignite": ox_mlflow}


@pytest.fixture
def store(tmp_path, monkeypatch):
    # mlflow >= 3 keeps the file store only on request; a file store needs no server.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    yield uri
    while mlflow.active_run() is not None:  # a failed test must not leak its run
        mlflow.end_run()


def _run_and_read(lib, uri):
    mod = MODS[lib.name]
    logger = mod.MLflowLogger(tracking_uri=uri)
    run_id = logger.active_run.info.run_id
    logger.log_params({"seed": 0, "lib": "same"})

    def attach(lib, trainer, evaluator, model, optimizer):
        attach_common(logger, mod, lib, trainer, evaluator, optimizer)
        logger.attach(
            trainer,
            log_handler=mod.OptimizerParamsHandler(optimizer, param_name="lr"),
            event_name=lib.Events.ITERATION_STARTED(every=2),
        )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(lib, attach)
    logger.close()
    assert mlflow.active_run() is None

    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    history = {
        key: [(m.step, m.value) for m in client.get_metric_history(run_id, key)]
        for key in run.data.metrics
    }
    return history, run.data.params, sorted({str(w.message) for w in caught})


def test_same_metrics_steps_and_params_as_ignite(store):
    ig_hist, ig_params, ig_warn = _run_and_read(IGNITE, store)
    ox_hist, ox_params, ox_warn = _run_and_read(OXIGNITE, store)

    assert ox_hist == ig_hist
    assert ox_params == ig_params == {"seed": "0", "lib": "same"}
    assert ox_warn == ig_warn  # the string metric cannot be logged: same warning
    # what the names look like: flattened, joined with spaces
    assert [s for s, _ in ox_hist["training loss"]] == list(range(1, 7))
    assert ox_hist["training alpha"] == [(i, 0.5) for i in range(1, 7)]
    assert ox_hist["validation per_class 1"] == [(1, 0.25), (2, 0.5)]
    assert ox_hist["validation nested b 1"] == [(1, 2.5), (2, 2.5)]
    assert ox_hist["opt lr group_1"] == [(1, 0.02), (2, 0.01)]
    assert ox_hist["lr group_0"] == [(2, 0.05), (4, 0.025), (6, 0.025)]
    assert "validation name" not in ox_hist


def test_invalid_metric_name_is_dropped_with_warning(store):
    logs = {}
    for lib in (IGNITE, OXIGNITE):
        mod = MODS[lib.name]
        logger = mod.MLflowLogger(tracking_uri=store)
        engine = lib.Engine(lambda e, b: {"ok": 1.0, "bad!": 2.0})
        logger.attach_output_handler(
            engine, event_name=lib.Events.ITERATION_COMPLETED, tag="t", output_transform=lambda o: o
        )
        with pytest.warns(UserWarning, match="invalid metric name") as rec:
            engine.run([0], max_epochs=1)
        run_id = logger.active_run.info.run_id
        logger.close()
        metrics = mlflow.tracking.MlflowClient(tracking_uri=store).get_run(run_id).data.metrics
        logs[lib.name] = (metrics, [str(w.message) for w in rec])
    assert logs["oxignite"] == logs["ignite"]
    assert logs["oxignite"][0] == {"t ok": 1.0}


def test_reuses_active_run_and_forwards_attributes(store):
    mlflow.set_tracking_uri(store)
    run = mlflow.start_run()
    logger = ox_mlflow.MLflowLogger()
    assert logger.active_run.info.run_id == run.info.run_id
    assert logger.get_tracking_uri() == store  # forwarded to the mlflow module
    logger.set_tag("k", "v")
    logger.close()
    assert mlflow.active_run() is None
    tags = mlflow.tracking.MlflowClient(tracking_uri=store).get_run(run.info.run_id).data.tags
    assert tags["k"] == "v"


def test_bad_input_raises_as_ignite(store):
    ig_logger = ig_mlflow.MLflowLogger(tracking_uri=store)
    ox_logger = ox_mlflow.MLflowLogger()  # same active run
    try:
        same_error(bad_step(IGNITE, ig_logger, ig_mlflow), bad_step(OXIGNITE, ox_logger, ox_mlflow))
        same_error(
            wrong_logger(IGNITE, ig_mlflow.OutputHandler("t", metric_names="all")),
            wrong_logger(OXIGNITE, ox_mlflow.OutputHandler("t", metric_names="all")),
        )
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        same_error(
            wrong_logger(IGNITE, ig_mlflow.OptimizerParamsHandler(opt)),
            wrong_logger(OXIGNITE, ox_mlflow.OptimizerParamsHandler(opt)),
        )
        same_error(lambda: ig_mlflow.OutputHandler("t"), lambda: ox_mlflow.OutputHandler("t"))
        same_error(
            lambda: ig_mlflow.OptimizerParamsHandler(object()),
            lambda: ox_mlflow.OptimizerParamsHandler(object()),
        )
    finally:
        ox_logger.close()


def test_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    same_error(ig_mlflow.MLflowLogger, ox_mlflow.MLflowLogger)


def test_module_paths_as_ignite():
    check_module_paths("mlflow_logger")


def test_no_logger_backend_imported_until_a_logger_is_created():
    # For all the loggers: importing them (new and old paths) must not import their package.
    script = textwrap.dedent(
        """
        import sys, warnings
        warnings.simplefilter("ignore")
        import oxignite.handlers
        from oxignite.handlers import MLflowLogger, WandBLogger, ClearMLLogger, NeptuneLogger
        from oxignite.handlers import VisdomLogger, PolyaxonLogger, FBResearchLogger
        for name in ("mlflow", "wandb", "clearml", "neptune", "visdom", "polyaxon"):
            __import__(f"oxignite.contrib.handlers.{name}_logger")
        backends = ("mlflow", "wandb", "clearml", "neptune", "visdom", "polyaxon")
        print(sorted(m for m in backends if m in sys.modules))
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
