"""MeanAveragePrecision: pytorch-ignite's values for binary, multiclass and multilabel inputs
and every class_mean, scikit-learn's average_precision_score, and the input errors."""

from __future__ import annotations

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics
from sklearn.metrics import average_precision_score

N = 41


def _ties(t):
    return (t * 10).round() / 10  # tied scores exercise the distinct-threshold logic


CASES = {
    "binary_N": lambda: (_ties(torch.rand(N)), torch.randint(0, 2, (N,))),
    "binary_NL": lambda: (_ties(torch.rand(N, 3)), torch.randint(0, 2, (N, 3))),
    "multiclass_NC": lambda: (_ties(torch.rand(N, 4)), torch.randint(0, 4, (N,))),
    "multiclass_NCL": lambda: (_ties(torch.rand(N, 3, 2)), torch.randint(0, 3, (N, 2))),
    "multilabel_NC": lambda: (_ties(torch.rand(N, 4)), torch.randint(0, 2, (N, 4))),
    "multilabel_NCL": lambda: (_ties(torch.rand(N, 3, 2)), torch.randint(0, 2, (N, 3, 2))),
}


@pytest.mark.parametrize("rec_thresholds", [None, [0.0, 0.3, 0.5, 0.8, 1.0]], ids=["exact", "thr"])
@pytest.mark.parametrize("class_mean", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_ignite(case, class_mean, rec_thresholds):
    y_pred, y = CASES[case]()
    assert_matches_ignite(
        lambda m: m.MeanAveragePrecision(
            rec_thresholds=rec_thresholds,
            class_mean=class_mean,
            is_multilabel=case.startswith("multilabel"),
        ),
        batches_of(y_pred, y, 10),
    )


def _fed(metric, y_pred, y):
    for batch in batches_of(y_pred, y, 10):
        metric.update(batch)
    return metric.compute()


def test_against_sklearn():
    y_pred, y = CASES["multilabel_NC"]()
    ml = lambda **kw: ox.MeanAveragePrecision(is_multilabel=True, **kw)
    assert _fed(ml(class_mean=None), y_pred, y).tolist() == pytest.approx(
        average_precision_score(y.numpy(), y_pred.numpy(), average=None)
    )
    for average in ("macro", "micro", "weighted"):
        expected = average_precision_score(y.numpy(), y_pred.numpy(), average=average)
        assert _fed(ml(class_mean=average), y_pred, y).item() == pytest.approx(expected)
    y_pred, y = CASES["binary_N"]()
    value = _fed(ox.MeanAveragePrecision(), y_pred, y)
    assert isinstance(value, float)
    assert value == pytest.approx(average_precision_score(y.numpy(), y_pred.numpy()))


def test_argument_errors_as_ignite():
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match="Wrong `class_mean` parameter"):
            module.MeanAveragePrecision(class_mean="samples")
        with pytest.raises(ValueError, match="should be a one-dimensional tensor"):
            module.MeanAveragePrecision(rec_thresholds=torch.rand(2, 2))
        with pytest.raises(ValueError, match="values should be between 0 and 1"):
            module.MeanAveragePrecision(rec_thresholds=[0.2, 1.5])
        with pytest.raises(TypeError, match="should be a sequence of floats or a tensor"):
            module.MeanAveragePrecision(rec_thresholds={0.5})


def test_input_errors_as_ignite():
    for module in (ox, ignite_metrics):
        with pytest.raises(TypeError, match="`y_pred` should be a float tensor"):
            module.MeanAveragePrecision().update(
                (torch.randint(0, 2, (4, 3)), torch.randint(0, 3, (4,)))
            )
        with pytest.raises(ValueError, match="y must be comprised of 0's and 1's"):
            module.MeanAveragePrecision().update((torch.rand(4), torch.tensor([0, 1, 2, 1])))
        with pytest.raises(ValueError, match="y_pred contains fewer classes than y"):
            module.MeanAveragePrecision().update((torch.rand(4, 3), torch.tensor([0, 1, 3, 1])))
        with pytest.warns(RuntimeWarning, match="`y` should be of dtype long"):
            module.MeanAveragePrecision().update(
                (torch.rand(4, 3), torch.tensor([0, 1, 2, 1]).int())
            )
        with pytest.raises(RuntimeError, match="could not be computed without any update"):
            module.MeanAveragePrecision().compute()
        metric = module.MeanAveragePrecision()
        metric.update((torch.rand(4, 3), torch.randint(0, 3, (4,))))
        with pytest.raises(RuntimeError, match="Input data type has changed"):
            metric.update((torch.rand(4), torch.randint(0, 2, (4,))))
