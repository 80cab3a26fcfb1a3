"""oxignite.metrics.fairness against pytorch-ignite on binary, multiclass and multilabel data."""

from __future__ import annotations

import pytest
import torch
from ignite import metrics as ignite_metrics
from ignite.metrics import fairness as ignite_fairness
from oxignite import metrics
from oxignite.exceptions import NotComputableError
from oxignite.metrics import fairness

GROUPS = [0, 1, 2]


def _data(kind, seed, n=90):
    gen = torch.Generator().manual_seed(seed)
    groups = torch.randint(0, 3, (n,), generator=gen)
    if kind == "binary":
        return (
            torch.randint(0, 2, (n,), generator=gen),
            torch.randint(0, 2, (n,), generator=gen),
            groups,
        )
    if kind == "multiclass":
        return torch.rand(n, 4, generator=gen), torch.randint(0, 4, (n,), generator=gen), groups
    shape = (n, 3, 2)  # multilabel with an extra dimension
    return (
        torch.randint(0, 2, shape, generator=gen),
        torch.randint(0, 2, shape, generator=gen),
        groups,
    )


def _feed(metric, data, batch_size=25):
    y_pred, y, groups = data
    for i in range(0, len(y), batch_size):
        metric.update(
            (y_pred[i : i + batch_size], y[i : i + batch_size], groups[i : i + batch_size])
        )
    return metric.compute()


def _close(a, b):
    if isinstance(a, dict):
        return list(a) == list(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return torch.allclose(a, b)
    return a == pytest.approx(b)


def test_same_names_as_ignite():
    assert set(fairness.__all__) == {n for n in dir(ignite_fairness) if n[0].isupper()}


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_same_values_as_ignite(kind):
    data = _data(kind, seed=len(kind))
    ml = kind == "multilabel"
    pairs = [
        (
            fairness.SubgroupAccuracyDifference(GROUPS, ml),
            ignite_fairness.SubgroupAccuracyDifference(GROUPS, ml),
        ),
        (
            fairness.DemographicParityDifference(GROUPS, ml),
            ignite_fairness.DemographicParityDifference(GROUPS, ml),
        ),
        (
            fairness.SubgroupMetric(metrics.Accuracy(is_multilabel=ml), GROUPS),
            ignite_fairness.SubgroupMetric(ignite_metrics.Accuracy(is_multilabel=ml), GROUPS),
        ),
        (
            fairness.SubgroupMetric(fairness.SelectionRate(is_multilabel=ml), GROUPS),
            ignite_fairness.SubgroupMetric(ignite_fairness.SelectionRate(is_multilabel=ml), GROUPS),
        ),
        (
            fairness.SubgroupDifference(
                metrics.Precision(average="macro", is_multilabel=ml), GROUPS
            ),
            ignite_fairness.SubgroupDifference(
                ignite_metrics.Precision(average="macro", is_multilabel=ml), GROUPS
            ),
        ),
    ]
    for ours, theirs in pairs:
        assert _close(_feed(ours, data), _feed(theirs, data))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_selection_rate_by_hand(kind):
    y_pred, y, _ = _data(kind, seed=5)
    ours = fairness.SelectionRate(is_multilabel=kind == "multilabel")
    theirs = ignite_fairness.SelectionRate(is_multilabel=kind == "multilabel")
    for m in (ours, theirs):
        m.update((y_pred[:40], y[:40]))
        m.update((y_pred[40:], y[40:]))
    if kind == "binary":
        expected = torch.stack([(y_pred == 0).float().mean(), (y_pred == 1).float().mean()])
    elif kind == "multiclass":
        expected = torch.bincount(y_pred.argmax(1), minlength=4).float() / len(y_pred)
    else:
        expected = y_pred.float().mean(dim=(0, 2))
    assert torch.allclose(ours.compute(), expected)
    assert torch.allclose(ours.compute(), theirs.compute())


def test_groups_without_data_and_errors():
    y_pred, y, groups = _data("binary", seed=3)
    only_zero = fairness.SubgroupAccuracyDifference(groups=[0, 7])
    only_zero.update((y_pred, y, groups))
    with pytest.raises(NotComputableError, match="at least two unique subgroups"):
        only_zero.compute()
    with pytest.raises(NotComputableError, match="Fairness metrics must have at least one example"):
        fairness.SubgroupAccuracyDifference(groups=[0, 1]).compute()
    per_group = fairness.SubgroupMetric(metrics.Accuracy(), groups=[0, 7])
    per_group.update((y_pred, y, groups))
    assert list(per_group.compute()) == [0]
    with pytest.raises(ValueError, match="must have the same batch size"):
        fairness.SubgroupMetric(metrics.Accuracy(), [0]).update((y_pred, y, groups[:-1]))
    with pytest.raises(TypeError, match="base_metric should be a Metric"):
        fairness.SubgroupMetric("accuracy", [0])
    with pytest.raises(NotComputableError, match="SelectionRate must have at least one example"):
        fairness.SelectionRate().compute()


def test_mapping_output_and_state_dict(echo_engine):
    y_pred, y, groups = _data("multiclass", seed=9)
    data = [
        {"y_pred": y_pred[i : i + 30], "y": y[i : i + 30], "group_labels": groups[i : i + 30]}
        for i in range(0, 90, 30)
    ]
    engine = echo_engine()
    fairness.DemographicParityDifference(GROUPS).attach(engine, "dpd")
    state = engine.run(data)
    expected = _feed(fairness.DemographicParityDifference(GROUPS), (y_pred, y, groups))
    assert state.metrics["dpd"] == pytest.approx(expected)

    source = fairness.SubgroupAccuracyDifference(GROUPS)
    value = _feed(source, (y_pred, y, groups))
    restored = fairness.SubgroupAccuracyDifference(GROUPS)
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == value
