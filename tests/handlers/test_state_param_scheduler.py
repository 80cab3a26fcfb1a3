"""State parameter schedulers and BatchSizeScheduler against ignite's, side by side: same
values on engine.state, same history, same state_dict, same warnings and errors."""

from __future__ import annotations

import warnings

import ignite.engine as ig_engine
import ignite.handlers as ig
import ignite.handlers.param_scheduler as ig_ps
import oxignite.handlers as ours
import oxignite.handlers.param_scheduler as our_ps
import pytest
import torch
from oxignite.engine import Engine, Events
from torch.utils.data import DataLoader, TensorDataset


class Halving:
    """A lambda object with state, as in ignite's LambdaStateScheduler example."""

    def __init__(self, initial_value):
        self.initial_value = initial_value

    def __call__(self, event_index):
        return self.initial_value * 0.5 ** (event_index // 3)


def _comparable(state):
    # Callables are copied into the state dict: compare their type and attributes.
    def norm(v):
        return (type(v).__name__, getattr(v, "__dict__", None)) if callable(v) else v

    return {k: norm(v) for k, v in state.items()}


CASES = [
    ("LambdaStateScheduler", {"lambda_obj": Halving(2.0)}),
    ("LambdaStateScheduler", {"lambda_obj": lambda i: [i, -i]}),
    ("PiecewiseLinearStateScheduler", {"milestones_values": [(5, 1.0), (10, 0.0), (15, 0.5)]}),
    ("PiecewiseLinearStateScheduler", {"milestones_values": [(0, 1.0), (4, 4.0), (4, 0.0)]}),
    ("PiecewiseLinearStateScheduler", {"milestones_values": [(3, 2.0)]}),
    ("ExpStateScheduler", {"initial_value": 10.0, "gamma": 0.9}),
    ("StepStateScheduler", {"initial_value": 1.0, "gamma": 0.5, "step_size": 4}),
    ("MultiStepStateScheduler", {"initial_value": 1.0, "gamma": 0.1, "milestones": [3, 7, 12]}),
]


def _trace(module, events, engine_cls, cls_name, kwargs, event_name="ITERATION_COMPLETED"):
    engine = engine_cls(lambda e, b: None)
    scheduler = getattr(module, cls_name)(param_name="w", save_history=True, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.attach(engine, getattr(events, event_name))
    values = []
    engine.add_event_handler(events.ITERATION_COMPLETED, lambda e: values.append(e.state.w))
    engine.run(range(5), max_epochs=4)
    return values, engine.state.param_history, [str(w.message) for w in caught]


@pytest.mark.parametrize(("cls_name", "kwargs"), CASES)
def test_values_history_and_warning_match_ignite(cls_name, kwargs):
    ours_trace = _trace(ours, Events, Engine, cls_name, kwargs)
    ig_trace = _trace(ig, ig_engine.Events, ig_engine.Engine, cls_name, kwargs)
    assert ours_trace == ig_trace
    assert len(ours_trace[0]) == 20 and ours_trace[2]  # created with a warning


@pytest.mark.parametrize(("cls_name", "kwargs"), CASES)
def test_simulate_values_and_state_dict_match_ignite(cls_name, kwargs):
    ours_cls, ig_cls = getattr(ours, cls_name), getattr(ig, cls_name)
    simulated = ours_cls.simulate_values(17, param_name="w", save_history=True, **kwargs)
    assert simulated == ig_cls.simulate_values(17, param_name="w", **kwargs)

    ours_s, ig_s = ours_cls(param_name="w", **kwargs), ig_cls(param_name="w", **kwargs)
    for s in (ours_s, ig_s):
        for _ in range(6):
            s.event_index += 1
            s.get_param()
    assert _comparable(ours_s.state_dict()) == _comparable(ig_s.state_dict())
    fresh = ours_cls(param_name="w", **kwargs)
    fresh.load_state_dict(ig_s.state_dict())
    assert fresh.get_param() == ig_s.get_param()


def test_create_new_rules_match_ignite():
    for module, engine_cls in ((ours, Engine), (ig, ig_engine.Engine)):
        engine = engine_cls(lambda e, b: None)
        engine.state.w = 1.0
        with pytest.raises(ValueError, match="Attribute 'w' already exists in the engine.state"):
            module.ExpStateScheduler(1.0, 0.5, param_name="w", create_new=True).attach(engine)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # existing attribute: no warning
            module.ExpStateScheduler(1.0, 0.5, param_name="w").attach(engine)
            module.ExpStateScheduler(1.0, 0.5, param_name="v", create_new=True).attach(engine)
        assert engine.state.v is None


@pytest.mark.parametrize(
    ("cls_name", "kwargs"),
    [
        ("LambdaStateScheduler", {"lambda_obj": 3}),
        ("PiecewiseLinearStateScheduler", {"milestones_values": None}),
        ("PiecewiseLinearStateScheduler", {"milestones_values": []}),
        ("PiecewiseLinearStateScheduler", {"milestones_values": [(1, 2.0), 3]}),
        ("PiecewiseLinearStateScheduler", {"milestones_values": [(1.5, 2.0)]}),
        ("PiecewiseLinearStateScheduler", {"milestones_values": [(5, 1.0), (2, 0.0)]}),
    ],
)
def test_bad_arguments_same_errors_as_ignite(cls_name, kwargs):
    with pytest.raises(Exception) as ig_err:
        getattr(ig, cls_name)(param_name="w", **kwargs)
    with pytest.raises(type(ig_err.value)) as our_err:
        getattr(ours, cls_name)(param_name="w", **kwargs)
    assert str(our_err.value) == str(ig_err.value)


def _batch_sizes(module, events, engine_cls, **kwargs):
    loader = DataLoader(TensorDataset(torch.arange(40)), batch_size=10)
    scheduler = module.BatchSizeScheduler(loader, scheduler_fn=lambda e: 10 + e * 5, **kwargs)
    engine = engine_cls(lambda e, b: len(b[0]))
    scheduler.attach(engine)
    sizes = []
    engine.add_event_handler(events.ITERATION_COMPLETED, lambda e: sizes.append(e.state.output))
    engine.run(loader, max_epochs=3)
    return sizes, getattr(engine.state, "param_history", None), scheduler.state_dict()


@pytest.mark.parametrize("kwargs", [{}, {"save_history": True}])
def test_batch_size_scheduler_matches_ignite(kwargs):
    ours_run = _batch_sizes(our_ps, Events, Engine, **kwargs)
    assert ours_run == _batch_sizes(ig_ps, ig_engine.Events, ig_engine.Engine, **kwargs)
    assert ours_run[0][:4] == [10, 10, 10, 10]
    assert our_ps.BatchSizeScheduler is ours.BatchSizeScheduler
    simulated = ours.BatchSizeScheduler.simulate_values(4, scheduler_fn=lambda e: 2**e)
    assert simulated == ig.BatchSizeScheduler.simulate_values(4, scheduler_fn=lambda e: 2**e)


@pytest.mark.parametrize(
    ("make_args", "call_with"),
    [
        (lambda: ([1, 2], lambda e: 4), None),
        (lambda: (DataLoader(TensorDataset(torch.arange(4)), batch_size=None), lambda e: 4), None),
        (lambda: (DataLoader(TensorDataset(torch.arange(4))), "fn"), None),
        (lambda: (DataLoader(TensorDataset(torch.arange(4))), lambda e: 0), "call"),
        (lambda: (DataLoader(TensorDataset(torch.arange(4))), lambda e: 2.0), "call"),
    ],
)
def test_batch_size_scheduler_errors_match_ignite(make_args, call_with):
    errors = []
    for module in (ig, ours):
        with pytest.raises(Exception) as err:
            scheduler = module.BatchSizeScheduler(*make_args())
            if call_with:
                scheduler(None)
        errors.append((type(err.value), str(err.value)))
    assert errors[0] == errors[1]
    with pytest.raises(ValueError, match="must contain 'scheduler_fn'"):
        ours.BatchSizeScheduler.simulate_values(3)
