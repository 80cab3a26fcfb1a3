"""MetricGroup: the same dict as pytorch-ignite, each member's own output_transform, and
state_dict of the whole group."""

from __future__ import annotations

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_same, both


def _group(m):
    return m.MetricGroup(
        {
            "acc": m.Accuracy(),
            "precision": m.Precision(average=False),
            "first_col_mse": m.MeanSquaredError(
                output_transform=lambda o: (o[0][:, 0], o[1].float())
            ),
        }
    )


def test_matches_ignite():
    batches = [(torch.randn(9, 3), torch.randint(0, 3, (9,))) for _ in range(4)]
    ours, theirs = both(_group, batches)
    assert list(ours) == list(theirs) == ["acc", "precision", "first_col_mse"]
    assert_same(ours, theirs)


def test_values_equal_the_members_alone():
    batches = [(torch.randn(9, 3), torch.randint(0, 3, (9,))) for _ in range(3)]
    group = _group(ox)
    acc = ox.Accuracy()
    for batch in batches:
        group.update(batch)
        acc.update(batch)
    assert group.compute()["acc"] == acc.compute()
    group.reset()
    with pytest.raises(Exception, match="at least one example"):
        group.compute()


def test_attached_results_and_state_dict(echo_engine):
    data = [(torch.randn(6, 3), torch.randint(0, 3, (6,))) for _ in range(2)]
    engine = echo_engine()
    group = _group(ox)
    group.attach(engine, "eval")
    metrics = engine.run(data).metrics
    assert set(metrics["eval"]) == {"acc", "precision", "first_col_mse"}
    assert metrics["acc"] == metrics["eval"]["acc"]

    other = _group(ox)
    other.load_state_dict(group.state_dict())
    assert_same(other.compute(), group.compute())
