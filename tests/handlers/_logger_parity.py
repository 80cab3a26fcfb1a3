"""Side-by-side runs for the experiment-tracking logger tests: the same training (same model
initialisation, data and learning-rate schedule) once on pytorch-ignite's engine with ignite's
logger, once on oxignite's with ours; each test then compares what landed in the backend."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable

import ignite.engine as ig_engine
import ignite.handlers.utils as ig_utils
import oxignite.engine as ox_engine
import oxignite.handlers.utils as ox_utils
import pytest
import torch

from .conftest import make_data, make_update

IGNITE = types.SimpleNamespace(
    name="ignite",
    Engine=ig_engine.Engine,
    Events=ig_engine.Events,
    global_step_from_engine=ig_utils.global_step_from_engine,
)
OXIGNITE = types.SimpleNamespace(
    name="oxignite",
    Engine=ox_engine.Engine,
    Events=ox_engine.Events,
    global_step_from_engine=ox_utils.global_step_from_engine,
)
LIBS = (IGNITE, OXIGNITE)


def train(lib: types.SimpleNamespace, attach: Callable, max_epochs: int = 2) -> torch.nn.Module:
    """Train a tiny MLP for ``max_epochs`` x 3 iterations on ``lib``'s engines, with an
    evaluator run after each epoch; ``attach(lib, trainer, evaluator, model, optimizer)``
    attaches the loggers. The evaluator's metrics cover every shape the output handlers
    flatten: numbers, 0-d and 1-d tensors, nested dicts, lists and a string."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.02}],
        lr=0.05,
    )
    trainer = lib.Engine(make_update(model, optimizer))
    trainer.add_event_handler(lib.Events.STARTED, lambda e: setattr(e.state, "alpha", 0.5))
    evaluator = lib.Engine(lambda e, b: None)

    def set_metrics(engine):
        epoch = trainer.state.epoch
        engine.state.metrics.update(
            acc=0.25 * epoch,
            nll=torch.tensor(1.0 / epoch),
            per_class=torch.tensor([0.5, 0.25 * epoch]),
            nested={"a": epoch, "b": [1, 2.5]},
            name="run",
        )

    evaluator.add_event_handler(lib.Events.EPOCH_COMPLETED, set_metrics)  # before the loggers
    trainer.add_event_handler(lib.Events.EPOCH_COMPLETED, lambda _: evaluator.run([0, 1]))
    trainer.add_event_handler(
        lib.Events.EPOCH_COMPLETED,
        lambda _: [g.update(lr=g["lr"] / 2) for g in optimizer.param_groups],
    )
    attach(lib, trainer, evaluator, model, optimizer)
    trainer.run(make_data(3), max_epochs=max_epochs)
    return model


def attach_common(logger, mod, lib, trainer, evaluator, optimizer) -> None:
    """The attachments every backend supports: output of the trainer each iteration (with a
    state attribute), the evaluator's metrics at the trainer's epoch, the learning rate."""
    logger.attach_output_handler(
        trainer,
        event_name=lib.Events.ITERATION_COMPLETED,
        tag="training",
        output_transform=lambda loss: {"loss": loss},
        state_attributes=["alpha"],
    )
    logger.attach(
        evaluator,
        log_handler=mod.OutputHandler(
            tag="validation",
            metric_names="all",
            global_step_transform=lib.global_step_from_engine(trainer),
        ),
        event_name=lib.Events.EPOCH_COMPLETED,
    )
    logger.attach_opt_params_handler(
        trainer, event_name=lib.Events.EPOCH_STARTED, optimizer=optimizer, tag="opt"
    )


def same_error(call_ignite: Callable, call_ours: Callable) -> BaseException:
    """Both calls raise the same exception type with the same message (returned)."""
    with pytest.raises(Exception) as ig:
        call_ignite()
    with pytest.raises(Exception) as ours:
        call_ours()
    assert type(ours.value) is type(ig.value)
    assert str(ours.value) == str(ig.value)
    return ours.value


def bad_step(lib: types.SimpleNamespace, logger, mod) -> Callable:
    """A call of an output handler whose ``global_step_transform`` returns a float."""
    engine = lib.Engine(lambda e, b: 1.0)
    engine.run([0], max_epochs=1)
    handler = mod.OutputHandler(
        "t", output_transform=lambda x: x, global_step_transform=lambda *_: 1.5
    )
    return lambda: handler(engine, logger, lib.Events.EPOCH_COMPLETED)


def wrong_logger(lib: types.SimpleNamespace, handler) -> Callable:
    """A call of ``handler`` with an object that is not its logger."""
    engine = lib.Engine(lambda e, b: 1.0)
    engine.run([0], max_epochs=1)
    return lambda: handler(engine, object(), lib.Events.EPOCH_COMPLETED)


def check_module_paths(name: str) -> None:
    """``oxignite.handlers.<name>`` exports ignite's names, and the old path
    ``oxignite.contrib.handlers.<name>`` re-exports the same objects with ignite's
    DeprecationWarning."""
    ours = importlib.import_module(f"oxignite.handlers.{name}")
    ig = importlib.import_module(f"ignite.handlers.{name}")
    assert sorted(ours.__all__) == sorted(ig.__all__)
    for attr in ("ignite.contrib.handlers", "oxignite.contrib.handlers"):
        sys.modules.pop(f"{attr}.{name}", None)  # so that importing it warns again
    with pytest.warns(DeprecationWarning, match=f"{name}.py has been moved to") as ig_warn:
        ig_old = importlib.import_module(f"ignite.contrib.handlers.{name}")
    with pytest.warns(DeprecationWarning, match=f"{name}.py has been moved to") as ox_warn:
        old = importlib.import_module(f"oxignite.contrib.handlers.{name}")
    ig_msg = str(ig_warn[0].message).split(" has been moved to ")[1]
    assert str(ox_warn[0].message).split(" has been moved to ")[1] == ig_msg.replace(
        "/ignite/", "/oxignite/"
    )
    assert sorted(old.__all__) == sorted(ig_old.__all__)
    for attr in dir(ig_old):
        if attr.startswith("__") or attr in ("warnings", "removed_in", "deprecation_warning"):
            continue  # the module's own machinery
        assert getattr(old, attr) is getattr(ours, attr), attr
