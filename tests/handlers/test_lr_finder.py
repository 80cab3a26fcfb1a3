"""FastaiLRFinder on a real small model, against ignite's: the same lr/loss history, the
same suggestion, the model/optimizer/trainer restored to the same state, same errors."""

from __future__ import annotations

import copy
import warnings

import ignite.engine as ig_engine
import ignite.handlers as ig
import oxignite.engine as ox_engine
import pytest
import torch
from oxignite.handlers import FastaiLRFinder
from torch import nn

from .conftest import make_data


def _model():
    torch.manual_seed(5)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


def _find(engine_mod, finder_cls, model, groups=1, **attach_kwargs):
    if groups == 1:
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    else:
        optimizer = torch.optim.SGD(
            [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 2e-4}],
            lr=1e-4,
        )
    trainer = engine_mod.create_supervised_trainer(model, optimizer, nn.MSELoss())
    before = copy.deepcopy(model.state_dict())
    finder = finder_cls()
    data = make_data(n_batches=25, batch_size=16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with finder.attach(trainer, {"model": model, "optimizer": optimizer}, **attach_kwargs) as t:
            t.run(data, max_epochs=2)
        stopped_at = trainer.state.iteration
        trainer.run(data, max_epochs=1)  # handlers detached, trainer reset: one plain epoch
    finder.apply_suggested_lr(optimizer)
    return {
        "history": finder.get_results(),
        "suggestion": finder.lr_suggestion(),
        "stopped_at": stopped_at,
        "after_plain_run": trainer.state.iteration,
        "lrs": [g["lr"] for g in optimizer.param_groups],
        "warnings": sorted({str(w.message) for w in caught if w.category is UserWarning}),
        "before": before,
    }, model


@pytest.mark.parametrize(
    ("groups", "attach_kwargs"),
    [
        (1, {}),
        (1, {"num_iter": 30, "end_lr": 5.0, "smooth_f": 0.1}),
        (1, {"step_mode": "linear", "start_lr": 1e-3, "end_lr": 3.0, "diverge_th": 3.0}),
        (2, {"step_mode": "linear", "end_lr": [1.0, 2.0]}),
        (2, {"start_lr": [1e-5, 1e-4], "num_iter": 60}),
    ],
)
def test_same_results_as_ignite(groups, attach_kwargs):
    base = _model()
    ours, _ = _find(ox_engine, FastaiLRFinder, copy.deepcopy(base), groups, **attach_kwargs)
    theirs, _ = _find(ig_engine, ig.FastaiLRFinder, copy.deepcopy(base), groups, **attach_kwargs)
    for key in ("history", "suggestion", "stopped_at", "after_plain_run", "lrs", "warnings"):
        assert ours[key] == theirs[key], key
    assert len(ours["history"]["lr"]) >= 3


def test_weights_restored_after_the_range_test():
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    trainer = ox_engine.create_supervised_trainer(model, optimizer, nn.MSELoss())
    before = copy.deepcopy(model.state_dict())
    finder = FastaiLRFinder()
    with finder.attach(trainer, {"model": model, "optimizer": optimizer}, num_iter=20) as t:
        t.run(make_data(n_batches=10), max_epochs=1)
        changed = not torch.equal(model[0].weight, before["0.weight"])
    assert changed  # the test trained the model...
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key  # ...and it was restored
    assert optimizer.param_groups[0]["lr"] == 1e-4
    assert not trainer.has_event_handler(finder._run)


def _attach_error(finder_cls, engine_mod, to_save_fn, **kwargs):
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = engine_mod.Engine(lambda e, b: 0.0)
    with (
        pytest.raises(Exception) as err,
        finder_cls().attach(trainer, to_save_fn(model, optimizer), **kwargs),
    ):
        pass
    return type(err.value), str(err.value)


@pytest.mark.parametrize(
    ("to_save_fn", "kwargs"),
    [
        (lambda m, o: [m, o], {}),
        (lambda m, o: {"model": m}, {}),
        (lambda m, o: {"model": m, "optimizer": m}, {}),
        (lambda m, o: {"model": m, "optimizer": o, "x": 1}, {}),
        (lambda m, o: {"optimizer": o}, {"smooth_f": 1.0}),
        (lambda m, o: {"optimizer": o}, {"diverge_th": 0.5}),
        (lambda m, o: {"optimizer": o}, {"step_mode": "cos"}),
        (lambda m, o: {"optimizer": o}, {"num_iter": 1.5}),
        (lambda m, o: {"optimizer": o}, {"num_iter": 0}),
        (lambda m, o: {"optimizer": o}, {"start_lr": 1}),
        (lambda m, o: {"optimizer": o}, {"start_lr": [0.1, 0.2]}),
        (lambda m, o: {"optimizer": o}, {"end_lr": "10"}),
        (lambda m, o: {"optimizer": o}, {"end_lr": [1.0, 2.0]}),
        (lambda m, o: {"optimizer": o}, {"start_lr": 1.0, "end_lr": 0.5}),
    ],
)
def test_bad_arguments_same_errors_as_ignite(to_save_fn, kwargs):
    ours = _attach_error(FastaiLRFinder, ox_engine, to_save_fn, **kwargs)
    assert ours == _attach_error(ig.FastaiLRFinder, ig_engine, to_save_fn, **kwargs)


@pytest.mark.parametrize("output", ["loss", torch.ones(2)])
def test_bad_engine_output_same_error_as_ignite(output):
    errors = []
    for engine_mod, finder_cls in ((ig_engine, ig.FastaiLRFinder), (ox_engine, FastaiLRFinder)):
        model = nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        trainer = engine_mod.Engine(lambda e, b, out=output: out)
        finder = finder_cls()
        with (
            pytest.raises((TypeError, ValueError)) as err,
            finder.attach(trainer, {"optimizer": optimizer}) as t,
        ):
            t.run([0, 1], max_epochs=1)
        errors.append((type(err.value), str(err.value)))
    assert errors[0] == errors[1]


def test_suggestion_before_run_same_error_as_ignite():
    for finder in (ig.FastaiLRFinder(), FastaiLRFinder()):
        with pytest.raises(RuntimeError, match="didn't run yet"):
            finder.lr_suggestion()


def test_plot_without_matplotlib_same_error_as_ignite():
    import importlib.util

    if importlib.util.find_spec("matplotlib") is not None:
        pytest.skip("matplotlib is installed")
    errors = []
    for finder in (ig.FastaiLRFinder(), FastaiLRFinder()):
        with pytest.raises(ModuleNotFoundError) as err:
            finder.plot()
        errors.append(str(err.value))
    assert errors[0] == errors[1]
