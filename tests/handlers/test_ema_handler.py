"""EMAHandler against ignite's: the same EMA weights and buffers after the same training, the
same momentum on engine.state, the same warnings and errors."""

from __future__ import annotations

import copy
import warnings

import ignite.engine as ig_engine
import ignite.handlers as ig
import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import EMAHandler
from torch import nn

from .conftest import make_data


def _model():
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))


def _train(engine_cls, events, handler_cls, model, attach_kwargs, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(engine, batch):
        model.train()
        x, y = batch
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    engine = engine_cls(step)
    handler = handler_cls(model, **kwargs)
    event = attach_kwargs.pop("every", None)
    event = events.ITERATION_COMPLETED(every=event) if event else events.ITERATION_COMPLETED
    handler.attach(engine, event=event, **attach_kwargs)
    momenta = []
    engine.add_event_handler(
        events.ITERATION_COMPLETED, lambda e: momenta.append(e.state.ema_momentum)
    )
    engine.run(make_data(n_batches=6), max_epochs=2)
    return handler, momenta


@pytest.mark.parametrize(
    ("kwargs", "attach_kwargs"),
    [
        ({"momentum": 0.1}, {}),
        ({"momentum": 0.3, "handle_buffers": "update"}, {}),
        ({"momentum": 0.3, "handle_buffers": "ema_train"}, {}),
        ({"momentum": 0.05, "momentum_warmup": 0.5, "warmup_iters": 5}, {}),
        ({"momentum": 0.5, "momentum_warmup": 0.01, "warmup_iters": 4}, {"every": 2}),
        ({"momentum": 0.2, "handle_buffers": "update"}, {"name": "ema_momentum"}),
    ],
)
def test_same_ema_model_as_ignite(kwargs, attach_kwargs):
    model = _model()
    ours, our_momenta = _train(
        Engine, Events, EMAHandler, copy.deepcopy(model), dict(attach_kwargs), **kwargs
    )
    theirs, ig_momenta = _train(
        ig_engine.Engine,
        ig_engine.Events,
        ig.EMAHandler,
        copy.deepcopy(model),
        dict(attach_kwargs),
        **kwargs,
    )
    assert our_momenta == ig_momenta
    our_state, ig_state = ours.ema_model.state_dict(), theirs.ema_model.state_dict()
    assert our_state.keys() == ig_state.keys()
    for key in our_state:
        assert torch.equal(our_state[key], ig_state[key]), key
    assert ours.ema_model.training == theirs.ema_model.training
    # The EMA differs from the online model it smooths.
    assert not torch.equal(our_state["0.weight"], ours.model.state_dict()["0.weight"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": nn.Linear(2, 1), "momentum": 0.0},
        {"model": nn.Linear(2, 1), "momentum": 1.0},
        {"model": "not a model"},
        {"model": nn.Linear(2, 1), "handle_buffers": "keep"},
    ],
)
def test_bad_arguments_same_errors_as_ignite(kwargs):
    with pytest.raises(ValueError) as ig_err:
        ig.EMAHandler(**kwargs)
    with pytest.raises(ValueError) as our_err:
        EMAHandler(**kwargs)
    assert str(our_err.value) == str(ig_err.value)


def test_existing_momentum_attribute_warns_like_ignite():
    messages = []
    for engine_cls, handler_cls in ((ig_engine.Engine, ig.EMAHandler), (Engine, EMAHandler)):
        engine = engine_cls(lambda e, b: None)
        engine.state.ema = 0.7  # e.g. restored by load_state_dict
        with pytest.warns(UserWarning) as record:
            handler_cls(nn.Linear(2, 1)).attach(engine, name="ema")
        messages.append(str(record[0].message))
        assert engine.state.ema == 0.7  # kept
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            handler_cls(nn.Linear(2, 1)).attach(engine, name="ema", warn_if_exists=False)
    assert messages[0] == messages[1]
