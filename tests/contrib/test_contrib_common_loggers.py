"""contrib.engines.common's ``setup_<x>_logging`` for the experiment-tracking backends (W&B,
Neptune, ClearML and its ``trains`` alias, Visdom, Polyaxon), side by side with ignite's:
the same handlers attached (events, kinds, tags, metric names) and the same values in each
real backend, run offline or on a localhost server.

The backends' readers (and the Visdom server) are those of tests/handlers/test_*_logger.py.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ignite.contrib.engines.common as ig_common
import ignite.engine as ig_engine
import oxignite.engine as ox_engine
import pytest
import torch
from oxignite.contrib.engines import common
from torch import nn

LIBS = ((ig_engine, ig_common), (ox_engine, common))


def _logger_tests(backend: str) -> Any:
    """tests/handlers/test_<backend>_logger.py (skips the test if the backend is missing)."""
    tests_dir = str(Path(__file__).resolve().parents[1])
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    return importlib.import_module(f"handlers.test_{backend}_logger")


def _data(n: int = 6) -> list:
    g = torch.Generator().manual_seed(2)
    return [(torch.randn(4, 3, generator=g), torch.randn(4, 1, generator=g)) for _ in range(n)]


def _attached(engine: Any) -> list:
    """The logging handlers attached to ``engine``: (event, filtered, kind, tag, names)."""
    out = []
    for event, rows in engine._event_handlers.items():
        for func, _args, _kwargs in rows:
            parent = getattr(func, "_parent", None)  # an event filter's wrapper
            handler = parent() if parent is not None else func
            if not type(handler).__name__.endswith("Handler"):
                continue
            out.append(
                (
                    getattr(event, "name", str(event)),
                    parent is not None,
                    type(handler).__name__,
                    handler.tag,
                    getattr(handler, "metric_names", None),
                    getattr(handler, "param_name", None),
                )
            )
    return sorted(out, key=repr)


def _run(
    engine_mod: Any, setup: Callable, optimizers: str, evaluators: str, close=True, **kwargs: Any
):
    """Train 2 epochs x 6 iterations with ``setup``'s logger; returns the logger's class name,
    the handlers it attached to (trainer, evaluator) and the logger (closed if ``close``)."""
    torch.manual_seed(4)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()

    def step(engine: Any, batch: Any) -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(batch[0]), batch[1])
        loss.backward()
        optimizer.step()
        return loss.item()

    trainer = engine_mod.Engine(step)
    evaluator = engine_mod.Engine(lambda e, b: None)
    events = engine_mod.Events
    # Metrics set before the loggers' handlers run (handlers run in the order added).
    trainer.add_event_handler(
        events.ITERATION_COMPLETED,
        lambda e: e.state.metrics.update(loss=e.state.output, it=float(e.state.iteration)),
    )
    evaluator.add_event_handler(
        events.COMPLETED, lambda e: e.state.metrics.update(acc=0.25 * trainer.state.epoch)
    )
    trainer.add_event_handler(events.EPOCH_COMPLETED, lambda e: evaluator.run([0]))
    trainer.add_event_handler(
        events.EPOCH_COMPLETED,
        lambda e: [g.update(lr=g["lr"] / 2) for g in optimizer.param_groups],
    )
    logger = setup(
        trainer,
        {"sgd": optimizer} if optimizers == "dict" else optimizer,
        {"val": evaluator} if evaluators == "dict" else evaluator,
        log_every_iters=2,
        **kwargs,
    )
    attached = (_attached(trainer), _attached(evaluator))
    trainer.run(_data(), max_epochs=2)
    if close:
        logger.close()
    return type(logger).__name__, attached, logger


def _check_attached(ours: tuple, theirs: tuple, optimizer_tag: str | None) -> None:
    assert ours[:2] == theirs[:2]
    trainer_handlers, evaluator_handlers = ours[1]
    kinds = sorted((event, kind, tag) for event, _, kind, tag, _, _ in trainer_handlers)
    assert kinds == [
        ("ITERATION_COMPLETED", "OutputHandler", "training"),
        ("ITERATION_STARTED", "OptimizerParamsHandler", optimizer_tag),
    ]
    assert all(filtered for _, filtered, *_ in trainer_handlers)  # every log_every_iters
    assert [(e, k) for e, _, k, *_ in evaluator_handlers] == [("COMPLETED", "OutputHandler")]


# W&B: offline runs, history read back from the run file.


@pytest.fixture
def wandb_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    helpers = _logger_tests("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield helpers
    import wandb

    if wandb.run is not None:  # a failed test must not leak its run
        wandb.finish()


def test_setup_wandb_logging_logs_what_ignite_logs(wandb_offline: Any, tmp_path: Path) -> None:
    stores = []
    for engine_mod, common_mod in LIBS:
        name, attached, _ = _run(
            engine_mod,
            common_mod.setup_wandb_logging,
            "one",
            "dict",
            project="p",
            dir=str(tmp_path),
            reinit=True,
            settings=wandb_offline._light(),
        )
        history = wandb_offline._history((tmp_path / "wandb" / "latest-run").resolve())
        stores.append((name, attached, history))
    theirs, ours = stores
    _check_attached(ours, theirs, None)
    assert ours[2] == theirs[2]
    steps = dict(ours[2])
    assert sorted(steps) == [2, 4, 6, 8, 10, 12]  # every log_every_iters=2 iterations
    assert steps[4]["training/it"] == 4
    assert steps[6]["val/acc"] == 0.25 and steps[12]["val/acc"] == 0.5  # at the iteration
    assert "val/acc" not in steps[4]
    assert steps[6]["lr/group_0"] == 0.1 and steps[8]["lr/group_0"] == 0.05


# Neptune: offline runs, operations read back from the offline log.


def test_setup_neptune_logging_logs_what_ignite_logs(tmp_path: Path, monkeypatch) -> None:
    helpers = _logger_tests("neptune")
    stores = []
    for engine_mod, common_mod in LIBS:
        root = tmp_path / common_mod.__name__.split(".")[0]
        root.mkdir()
        monkeypatch.chdir(root)  # the offline run is stored under ./.neptune
        name, attached, _ = _run(
            engine_mod,
            common_mod.setup_neptune_logging,
            "dict",
            "one",
            mode="offline",
            capture_stdout=False,
            capture_stderr=False,
            capture_hardware_metrics=False,
            capture_traceback=False,
            git_ref=False,
            source_files=[],
        )
        ops = [op for op in helpers._operations(root) if op["path"] != helpers.VERSION_KEY]
        stores.append((name, attached, ops))
    theirs, ours = stores
    _check_attached(ours, theirs, "sgd")
    assert ours[2] == theirs[2]
    values: dict = {}
    for op in ours[2]:
        if op["type"] == "LogFloats":
            values.setdefault("/".join(op["path"]), []).extend(
                (v["step"], v["value"]) for v in op["values"]
            )
    assert values["training/it"] == [(i, float(i)) for i in (2, 4, 6, 8, 10, 12)]
    assert values["validation/acc"] == [(1, 0.25), (2, 0.5)]  # at the trainer's epoch
    assert values["sgd/lr/group_0"] == [(2, 0.1), (4, 0.1), (6, 0.1), (8, 0.05), (10, 0.05), (12, 0.05)]


# ClearML: offline tasks, reports read back from the offline session.


@pytest.fixture(scope="module")
def clearml_offline(tmp_path_factory: pytest.TempPathFactory):
    helpers = _logger_tests("clearml")
    root = tmp_path_factory.mktemp("clearml")
    conf = root / "clearml.conf"
    conf.write_text(helpers._CONF)
    env = {"CLEARML_CONFIG_FILE": str(conf), "CLEARML_CACHE_DIR": str(root / "cache")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    classes = [mod.ClearMLLogger for mod in helpers.MODS.values()]
    for cls in classes:
        cls.set_bypass_mode(True)  # offline
    yield helpers
    for cls in classes:  # (clearml itself stays offline: going online needs a server)
        del cls._bypass
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k)
        else:
            os.environ[k] = v


def _clearml_run(helpers: Any, engine_mod: Any, setup: Callable, task_name: str) -> tuple:
    with pytest.warns(UserWarning, match="bypass mode"):
        name, attached, logger = _run(
            engine_mod,
            setup,
            "one",
            "dict",
            project_name="p",
            task_name=task_name,
            trainer_metric_names=["it"],
            **helpers.TASK_KWARGS,
        )
    path = Path(logger.get_task().get_offline_mode_folder()) / "metrics.jsonl"
    events = [e for line in path.read_text().splitlines() for e in json.loads(line)]
    reports = sorted(
        (e["metric"], e["variant"], e["iter"], e["value"])
        for e in events
        if e["type"] == "training_stats_scalar"
    )
    return name, attached, reports


def test_setup_clearml_logging_logs_what_ignite_logs(clearml_offline: Any) -> None:
    stores = [
        _clearml_run(clearml_offline, engine_mod, common_mod.setup_clearml_logging, f"t{i}")
        for i, (engine_mod, common_mod) in enumerate(LIBS)
    ]
    theirs, ours = stores
    _check_attached(ours, theirs, None)
    assert ours[1][0][0][4] in (["it"], ("it",))  # trainer_metric_names reached the handler
    assert ours[2] == theirs[2]
    assert [r for r in ours[2] if r[0] == "training"] == [
        ("training", "it", i, float(i)) for i in (2, 4, 6, 8, 10, 12)
    ]
    assert ("val", "acc", 2, 0.5) in ours[2]
    assert ("lr", "0", 8, 0.05) in ours[2]


def test_setup_trains_logging_is_the_warning_alias(clearml_offline: Any) -> None:
    stores, messages = [], []
    for i, (engine_mod, common_mod) in enumerate(LIBS):
        with pytest.warns(UserWarning, match="renamed to setup_clearml_logging") as record:
            stores.append(
                _clearml_run(clearml_offline, engine_mod, common_mod.setup_trains_logging, f"a{i}")
            )
        messages.append(sorted(str(w.message) for w in record))
    assert stores[0] == stores[1]
    assert messages[0] == messages[1]


# Visdom: a server on localhost, plots asked back from it.


def _without_filter(plots: dict) -> dict:
    return {
        title: dict(plot, xlabel=plot["xlabel"].split("(filter=")[0])
        for title, plot in plots.items()
    }


@pytest.fixture(scope="module")
def visdom_server(tmp_path_factory: pytest.TempPathFactory):
    helpers = _logger_tests("visdom")
    # The same server process as the Visdom logger tests, from their fixture's function.
    for port, _env_path in helpers.server.__wrapped__(tmp_path_factory):
        yield helpers, port


def test_setup_visdom_logging_plots_what_ignite_plots(visdom_server: tuple) -> None:
    helpers, port = visdom_server
    stores = []
    for engine_mod, common_mod in LIBS:
        env = common_mod.__name__.split(".")[0]
        name, attached, logger = _run(
            engine_mod,
            common_mod.setup_visdom_logging,
            "dict",
            "dict",
            server="http://localhost",
            port=port,
            env=env,
            use_incoming_socket=False,
            num_workers=0,  # plots sent from the engine's thread: all there when run() ends
            evaluator_metric_names=["acc"],
            close=False,  # close() closes the plots' windows: read them before
        )
        stores.append((name, attached, helpers._server_lines(port, env)))
        logger.close()
    theirs, ours = stores
    _check_attached(ours, theirs, "sgd")
    assert ours[1][1][0][4] == ["acc"]  # evaluator_metric_names reached the handler
    # The x-axis label is str(event): for a filtered event ignite's shows its filter function
    # with a memory address (``filter=<function ...wrapper at 0x...>``), ours the filter's
    # arguments (``filter=EventFilter(every=2)``); the rest is the same.
    assert _without_filter(ours[2]) == _without_filter(theirs[2])
    assert ours[2]["training/it"]["xlabel"] == (
        "Events.ITERATION_COMPLETED(filter=EventFilter(every=2))"
    )
    assert ours[2]["val/acc"]["xlabel"] == theirs[2]["val/acc"]["xlabel"]
    assert ours[2]["training/it"]["x"] == [2, 4, 6, 8, 10, 12]
    assert ours[2]["val/acc"]["y"] == [0.25, 0.5]
    assert ours[2]["sgd/lr/group_0"]["y"] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]


# Polyaxon: offline runs, metric event files read back.


def test_setup_plx_logging_logs_what_ignite_logs(tmp_path: Path, monkeypatch) -> None:
    helpers = _logger_tests("polyaxon")
    monkeypatch.chdir(tmp_path)
    stores = []
    for engine_mod, common_mod in LIBS:
        path = tmp_path / common_mod.__name__.split(".")[0]
        name, attached, _ = _run(
            engine_mod,
            common_mod.setup_plx_logging,
            "one",
            "one",
            is_offline=True,
            project="p",
            artifacts_path=str(path),
            track_code=False,
            track_env=False,
            track_logs=False,
            collect_resources=False,
        )
        stores.append((name, attached, helpers._metrics(path)))
    theirs, ours = stores
    _check_attached(ours, theirs, None)
    assert ours[2] == theirs[2]
    assert [s for s, _ in ours[2]["training__it"]] == [2, 4, 6, 8, 10, 12]
    assert ours[2]["validation__acc"] == [(1, 0.25), (2, 0.5)]


@pytest.mark.parametrize(
    "setup_name, class_name",
    [
        ("setup_wandb_logging", "WandBLogger"),
        ("setup_clearml_logging", "ClearMLLogger"),
        ("setup_mlflow_logging", "MLflowLogger"),
        ("setup_tb_logging", "TensorboardLogger"),
    ],
)
def test_setup_functions_use_the_logger_class_this_module_holds(monkeypatch, setup_name, class_name):
    """As in ignite, ``logger_utils.<Logger>`` is the class the setup function creates, so
    code that patches it there (ignite's own tests do) gets its stand-in."""
    import ignite.handlers.logger_utils as ignite_utils
    import oxignite.handlers.logger_utils as utils
    from oxignite.engine import Engine

    assert hasattr(ignite_utils, class_name)
    created = []

    class StandIn:
        def __init__(self, **kwargs):
            created.append(kwargs)

        def attach_output_handler(self, *args, **kwargs):
            pass

        def attach_opt_params_handler(self, *args, **kwargs):
            pass

    monkeypatch.setattr(utils, class_name, StandIn)
    args = ("runs",) if setup_name == "setup_tb_logging" else ()
    logger = getattr(utils, setup_name)(*args, Engine(lambda e, b: None), project="p")
    assert isinstance(logger, StandIn) and created[0]["project"] == "p"
