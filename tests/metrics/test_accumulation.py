"""Average, GeometricAverage and VariableAccumulation against direct computations."""

from __future__ import annotations

import math

import pytest
import torch
from oxignite.exceptions import NotComputableError
from oxignite.metrics import Average, GeometricAverage, VariableAccumulation


def test_average_of_numbers():
    values = [0.5, 2.0, 3.5, -1.0]
    avg = Average()
    for v in values:
        avg.update(v)
    assert avg.compute().item() == pytest.approx(sum(values) / len(values))


def test_average_of_batches_is_per_sample():
    batches = [torch.randn(5, 3), torch.randn(2, 3), torch.randn(7, 3)]
    avg = Average()
    for b in batches:
        avg.update(b)
    torch.testing.assert_close(avg.compute(), torch.cat(batches).mean(dim=0).double())


def test_average_of_vectors_counts_one_per_update():
    vectors = [torch.randn(4) for _ in range(3)]
    avg = Average()
    for v in vectors:
        avg.update(v)
    torch.testing.assert_close(avg.compute(), torch.stack(vectors).mean(dim=0).double())


def test_geometric_average():
    values = [1.0, 4.0, 2.0, 8.0]
    g = GeometricAverage()
    for v in values:
        g.update(v)
    assert g.compute() == pytest.approx(math.prod(values) ** (1 / len(values)))

    batches = torch.rand(10, 2) + 0.5
    g = GeometricAverage()
    g.update(batches)
    torch.testing.assert_close(g.compute(), batches.double().log().mean(0).exp())


def test_variable_accumulation():
    acc = VariableAccumulation(lambda a, x: torch.maximum(a, x.max()))
    for b in (torch.tensor([1.0, 5.0]), torch.tensor([[2.0], [3.0]])):
        acc.update(b)
    value, n = acc.compute()
    assert value.item() == 5.0 and n == 3


def test_errors():
    with pytest.raises(NotComputableError, match="Average must have at least one example"):
        Average().compute()
    with pytest.raises(NotComputableError, match="GeometricAverage"):
        GeometricAverage().compute()
    with pytest.raises(TypeError, match="Output should be a number or torch.Tensor"):
        Average().update("1.0")
    with pytest.raises(TypeError, match="op should be a callable"):
        VariableAccumulation(op=1)


def test_attached_average_of_losses(echo_engine):
    from oxignite.engine import Engine

    losses = [0.9, 0.7, 0.4, 0.2]
    engine = Engine(lambda e, batch: batch)
    Average().attach(engine, "mean_loss")
    state = engine.run(losses)
    assert state.metrics["mean_loss"] == pytest.approx(sum(losses) / 4)
    assert isinstance(state.metrics["mean_loss"], float)  # 0-dim tensors become numbers


def test_mapping_output_is_rejected(echo_engine):
    engine = echo_engine()
    Average().attach(engine, "avg")
    with pytest.raises(TypeError, match="should be a tuple/list"):
        engine.run([{"loss": 1.0}])
