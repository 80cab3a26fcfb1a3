"""EpochMetric: side by side with pytorch-ignite, plus its input checks."""

from __future__ import annotations

import pytest
import torch
from _side_by_side import assert_matches_ignite, both, ignite_metrics
from oxignite.exceptions import NotComputableError
from oxignite.metrics import EpochMetric
from oxignite.metrics.epoch_metric import EpochMetricWarning


def _mean_abs(y_pred, y):
    return (y_pred.double() - y.double()).abs().mean().item()


def _sum_shapes(y_pred, y):
    return float(y_pred.shape[0] * 1000 + (y_pred.shape[1] if y_pred.ndim == 2 else 0))


@pytest.mark.parametrize(
    "shape",
    [(10,), (10, 1), (10, 3)],
    ids=["N", "N1", "NC"],
)
def test_value_matches_ignite(shape):
    y_pred, y = torch.rand(*shape), torch.randint(0, 2, shape)
    batches = [(y_pred[i : i + 3], y[i : i + 3]) for i in range(0, 10, 3)]
    for fn in (_mean_abs, _sum_shapes):
        value = assert_matches_ignite(lambda m, fn=fn: m.EpochMetric(fn), batches)
        if shape == (10, 1):
            assert value == fn(y_pred.squeeze(-1), y.squeeze(-1))
        else:
            assert value == fn(y_pred, y)


def test_stores_copies_and_caches_the_result():
    y_pred, y = torch.rand(4), torch.rand(4)
    metric = EpochMetric(_mean_abs)
    metric.update((y_pred, y))
    expected = _mean_abs(y_pred, y)
    y_pred.zero_()  # the caller reuses its buffer: the stored batch must not change
    first = metric.compute()
    assert first == pytest.approx(expected)
    metric.update((torch.zeros(2), torch.zeros(2)))
    assert metric.compute() != first  # update() drops the cached value


def test_errors_match_ignite():
    bad = [
        ((torch.rand(2, 2, 2), torch.rand(2)), "Predictions should be of shape"),
        ((torch.rand(2), torch.rand(2, 2, 2)), "Targets should be of shape"),
    ]
    for batch, message in bad:
        for module in (ignite_metrics, __import__("oxignite.metrics", fromlist=["x"])):
            with pytest.raises(ValueError, match=message):
                module.EpochMetric(_mean_abs).update(batch)
    for module in (ignite_metrics, __import__("oxignite.metrics", fromlist=["x"])):
        metric = module.EpochMetric(_mean_abs)
        metric.update((torch.rand(2), torch.rand(2)))
        with pytest.raises(ValueError, match="Incoherent types between input y_pred"):
            metric.update((torch.rand(2).double(), torch.rand(2)))
        with pytest.raises(ValueError, match="Incoherent types between input y and"):
            metric.update((torch.rand(2), torch.rand(2).double()))
        with pytest.raises(TypeError, match="Argument compute_fn should be callable"):
            module.EpochMetric(12)


def test_not_computable_without_data():
    with pytest.raises(NotComputableError, match="EpochMetric must have at least one example"):
        EpochMetric(_mean_abs).compute()


def test_check_compute_fn_warns_on_first_batch():
    def broken(y_pred, y):
        raise RuntimeError("boom")

    with pytest.warns(EpochMetricWarning, match="Probably, there can be a problem"):
        EpochMetric(broken).update((torch.rand(2), torch.rand(2)))
    metric = EpochMetric(broken, check_compute_fn=False)
    metric.update((torch.rand(2), torch.rand(2)))  # no warning, no call


def test_state_dict_round_trip():
    metric = EpochMetric(_mean_abs)
    metric.update((torch.rand(5), torch.rand(5)))
    other = EpochMetric(_mean_abs)
    other.load_state_dict(metric.state_dict())
    assert other.compute() == metric.compute()


def test_attached_to_engine_as_ignite(echo_engine):
    from ignite.engine import Engine as IgniteEngine

    data = [(torch.rand(4), torch.randint(0, 2, (4,))) for _ in range(3)]
    ours = echo_engine()
    EpochMetric(_mean_abs).attach(ours, "mae")
    theirs = IgniteEngine(lambda e, b: b)
    ignite_metrics.EpochMetric(_mean_abs).attach(theirs, "mae")
    assert ours.run(data).metrics["mae"] == pytest.approx(theirs.run(data).metrics["mae"])
    assert both(lambda m: m.EpochMetric(_mean_abs), data)[0] == ours.state.metrics["mae"]


def test_inputs_with_autograd_graph_are_stored_detached():
    y_pred = torch.rand(4, requires_grad=True)
    metric = EpochMetric(_mean_abs)
    metric.update((y_pred * 2, torch.rand(4)))
    assert not metric._predictions[0].requires_grad
    assert metric._predictions[0].data_ptr() != y_pred.data_ptr()
