"""ROC_AUC, RocCurve, AveragePrecision, PrecisionRecallCurve, MatthewsCorrCoef: the same
values as pytorch-ignite and scikit-learn over every input shape they accept."""

from __future__ import annotations

import warnings

import numpy as np
import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, assert_same, batches_of, ignite_metrics
from oxignite.exceptions import NotComputableError
from oxignite.metrics.epoch_metric import EpochMetricWarning
from sklearn import metrics as skm

N = 53  # not a multiple of the batch size: the last batch is short


def _binary(shape):
    return torch.rand(*shape), torch.randint(0, 2, shape)


SCORES = {
    "binary_N": lambda: _binary((N,)),
    "binary_N1": lambda: _binary((N, 1)),
    "multilabel_NC": lambda: _binary((N, 4)),
}


@pytest.mark.parametrize("case", sorted(SCORES))
@pytest.mark.parametrize(
    ("name", "sk"),
    [("ROC_AUC", skm.roc_auc_score), ("AveragePrecision", skm.average_precision_score)],
)
def test_scores(name, sk, case):
    y_pred, y = SCORES[case]()
    value = assert_matches_ignite(lambda m: getattr(m, name)(), batches_of(y_pred, y, 10))
    flat = (lambda t: t.squeeze(-1)) if case == "binary_N1" else (lambda t: t)
    assert value == pytest.approx(sk(flat(y).numpy(), flat(y_pred).numpy()))


@pytest.mark.parametrize("case", ["binary_N", "binary_N1"])
@pytest.mark.parametrize(
    ("name", "sk"),
    [("RocCurve", skm.roc_curve), ("PrecisionRecallCurve", skm.precision_recall_curve)],
)
def test_curves(name, sk, case):
    y_pred, y = SCORES[case]()
    # Ties in the scores: thresholds are per distinct score.
    y_pred = (y_pred * 8).round() / 8
    curve = assert_matches_ignite(lambda m: getattr(m, name)(), batches_of(y_pred, y, 10))
    assert all(t.dtype == torch.float64 for t in curve)
    expected = sk(y.flatten().numpy(), y_pred.flatten().numpy())
    for ours, theirs in zip(curve, expected):
        assert_same(ours, theirs)


MCC_CASES = {
    "labels": lambda: (torch.randint(0, 3, (N,)), torch.randint(0, 3, (N,))),
    "labels_N1": lambda: (torch.randint(0, 2, (N, 1)), torch.randint(0, 2, (N, 1))),
    "scores_labels": lambda: (torch.rand(N, 3), torch.randint(0, 3, (N,))),
    "scores_onehot": lambda: (
        torch.rand(N, 3),
        torch.nn.functional.one_hot(torch.randint(0, 3, (N,)), 3),
    ),
}


@pytest.mark.parametrize("case", sorted(MCC_CASES))
def test_matthews_corrcoef(case):
    y_pred, y = MCC_CASES[case]()
    value = assert_matches_ignite(lambda m: m.MatthewsCorrCoef(), batches_of(y_pred, y, 10))
    labels_pred = y_pred.argmax(1) if y_pred.ndim == 2 and y_pred.shape[1] > 1 else y_pred
    labels_true = y.argmax(1) if y.ndim == 2 and y.shape[1] > 1 else y
    expected = skm.matthews_corrcoef(labels_true.flatten().numpy(), labels_pred.flatten().numpy())
    assert value == pytest.approx(expected)


def test_matthews_corrcoef_rejects_1d_predictions_with_2d_targets():
    batch = (torch.randint(0, 3, (6,)), torch.nn.functional.one_hot(torch.randint(0, 3, (6,)), 3))
    for module in (ox, ignite_metrics):
        metric = module.MatthewsCorrCoef()
        metric.update(batch)
        with pytest.raises(ValueError, match="y_pred is 1D while y_target is 2D"):
            metric.compute()


@pytest.mark.parametrize(
    "name", ["ROC_AUC", "RocCurve", "AveragePrecision", "PrecisionRecallCurve", "MatthewsCorrCoef"]
)
def test_no_data_and_bad_shapes(name):
    with pytest.raises(NotComputableError, match="must have at least one example"):
        getattr(ox, name)().compute()
    with pytest.raises(ValueError, match="Predictions should be of shape"):
        getattr(ox, name)().update((torch.rand(2, 2, 2), torch.rand(2)))


def test_roc_auc_undefined_and_failing_inputs_as_ignite():
    one_class = (torch.rand(6), torch.ones(6, dtype=torch.long))
    outcomes = []
    for module in (ox, ignite_metrics):
        metric = module.ROC_AUC()
        metric.update(one_class)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            outcomes.append((np.isnan(metric.compute()), [str(w.message) for w in seen]))
    assert outcomes[0] == outcomes[1]

    # 3 classes with 1-d scores: scikit-learn fails; check_compute_fn reports it early.
    three_classes = (torch.rand(6), torch.tensor([0, 1, 2, 0, 1, 2]))
    errors = []
    for module in (ox, ignite_metrics):
        metric = module.ROC_AUC()
        metric.update(three_classes)
        with pytest.raises(ValueError) as info:
            metric.compute()
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    with pytest.warns(EpochMetricWarning, match="Probably, there can be a problem"):
        ox.ROC_AUC(check_compute_fn=True).update(three_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ox.ROC_AUC().update(three_classes)  # check_compute_fn=False by default


def test_curve_in_engine_and_pr_curve_cached(echo_engine):
    data = [_binary((7,)) for _ in range(3)]
    engine = echo_engine()
    ox.RocCurve().attach(engine, "roc")
    fpr, tpr, thresholds = engine.run(data).metrics["roc"]
    y_pred, y = torch.cat([d[0] for d in data]), torch.cat([d[1] for d in data])
    for ours, theirs in zip((fpr, tpr, thresholds), skm.roc_curve(y.numpy(), y_pred.numpy())):
        assert np.allclose(ours.numpy(), theirs)
    pr = ox.PrecisionRecallCurve()
    pr.update(data[0])
    assert pr.compute() is pr.compute()
