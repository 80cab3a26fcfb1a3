"""MeanSquaredError, MeanAbsoluteError and RootMeanSquaredError against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from oxignite.exceptions import NotComputableError
from oxignite.metrics import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError


def _feed(metric, y_pred, y, batch_size=7):
    for i in range(0, len(y), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric.compute()


@pytest.mark.parametrize("shape", [(50,), (50, 1)])
def test_against_numpy(shape):
    y_pred, y = torch.randn(shape), torch.randn(shape)
    diff = (y_pred - y).numpy().astype(np.float64)
    assert _feed(MeanSquaredError(), y_pred, y) == pytest.approx(np.mean(diff**2), rel=1e-6)
    assert _feed(MeanAbsoluteError(), y_pred, y) == pytest.approx(np.mean(np.abs(diff)), rel=1e-6)
    assert _feed(RootMeanSquaredError(), y_pred, y) == pytest.approx(
        math.sqrt(np.mean(diff**2)), rel=1e-6
    )


def test_multi_output_divides_by_number_of_samples():
    # As in ignite: the sum over all elements is divided by the batch dimension.
    y_pred, y = torch.randn(20, 3), torch.randn(20, 3)
    expected = ((y_pred - y) ** 2).sum().item() / 20
    assert _feed(MeanSquaredError(), y_pred, y) == pytest.approx(expected, rel=1e-6)


def test_same_values_as_ignite():
    ignite_metrics = pytest.importorskip("ignite.metrics")
    y_pred, y = torch.randn(30, 2), torch.randn(30, 2)
    for ours, theirs in [
        (MeanSquaredError(), ignite_metrics.MeanSquaredError()),
        (MeanAbsoluteError(), ignite_metrics.MeanAbsoluteError()),
        (RootMeanSquaredError(), ignite_metrics.RootMeanSquaredError()),
    ]:
        assert _feed(ours, y_pred, y) == pytest.approx(_feed(theirs, y_pred, y))


def test_y_reshaped_like_y_pred():
    y_pred, y = torch.randn(10, 1), torch.randn(10)
    expected = ((y_pred.squeeze(1) - y) ** 2).mean().item()
    assert _feed(MeanSquaredError(), y_pred, y) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cls", [MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError])
def test_errors(cls):
    with pytest.raises(NotComputableError, match=f"{cls.__name__} must have at least one example"):
        cls().compute()
    with pytest.raises(ValueError, match="same number of elements"):
        cls().update((torch.randn(4), torch.randn(5)))


def test_attached_mae(echo_engine):
    data = [(torch.randn(5), torch.randn(5)) for _ in range(4)]
    engine = echo_engine()
    MeanAbsoluteError().attach(engine, "mae")
    state = engine.run(data)
    expected = torch.cat([(p - t).abs() for p, t in data]).mean().item()
    assert state.metrics["mae"] == pytest.approx(expected, rel=1e-6)
