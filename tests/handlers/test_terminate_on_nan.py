from __future__ import annotations

import math

import pytest
import torch
from oxignite.engine import Engine, Events
from oxignite.handlers import TerminateOnNan


def _run(outputs, handler, max_epochs=1):
    engine = Engine(lambda e, b: outputs[(e.state.iteration - 1) % len(outputs)])
    engine.add_event_handler(Events.ITERATION_COMPLETED, handler)
    engine.run(list(range(len(outputs))), max_epochs=max_epochs)
    return engine


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        torch.tensor([1.0, float("nan")]),
        [1.0, torch.tensor(float("inf"))],
        {"loss": torch.tensor(2.0), "aux": (3.0, torch.tensor([[float("nan")]]))},
    ],
)
def test_terminates_at_first_non_finite_output(bad):
    outputs = [1.0, torch.tensor(0.5), bad, 2.0, 3.0]
    engine = _run(outputs, TerminateOnNan())
    assert engine.state.iteration == 3
    assert engine.should_terminate


def test_finite_outputs_run_to_completion():
    outputs = [1.0, torch.tensor([0.5, 2.0]), {"a": 3, "b": [torch.tensor(1.0)]}, "text"]
    engine = _run(outputs, TerminateOnNan(), max_epochs=2)
    assert engine.state.iteration == 8
    assert engine.state.epoch == 2


def test_output_transform_selects_checked_value():
    outputs = [(1.0, float("nan")), (float("nan"), 1.0), (2.0, 2.0)]
    engine = _run(outputs, TerminateOnNan(output_transform=lambda out: out[0]))
    assert engine.state.iteration == 2


def test_real_training_diverging_to_nan_is_stopped():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e10)  # diverges quickly
    x = torch.randn(16, 2) * 100
    y = torch.randn(16, 1)

    def update(engine, batch):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss.detach()

    engine = Engine(update)
    engine.add_event_handler(Events.ITERATION_COMPLETED, TerminateOnNan())
    engine.run([0] * 50, max_epochs=1)
    assert engine.state.iteration < 50
    assert not math.isfinite(float(engine.state.output))


def test_non_callable_output_transform_raises():
    with pytest.raises(TypeError, match="output_transform"):
        TerminateOnNan(output_transform=3)
