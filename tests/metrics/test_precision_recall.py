"""Precision, Recall and Fbeta against scikit-learn for every input type and average."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from oxignite.exceptions import NotComputableError
from oxignite.metrics import Fbeta, Precision, Recall
from sklearn.metrics import fbeta_score, precision_score, recall_score

SKLEARN = {Precision: precision_score, Recall: recall_score}


def _feed(metric, y_pred, y, batch_size=9):
    for i in range(0, len(y), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric.compute()


def _as_numpy(value):
    return value.numpy() if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize("cls", [Precision, Recall])
@pytest.mark.parametrize("average", [False, True, "macro", "micro", "weighted"])
def test_multiclass(cls, average):
    y_pred = torch.randn(60, 4)
    y = torch.randint(0, 4, (60,))
    result = _feed(cls(average=average), y_pred, y)
    sk_average = {False: None, True: "macro"}.get(average, average)
    expected = SKLEARN[cls](
        y.numpy(), y_pred.argmax(1).numpy(), average=sk_average, zero_division=0
    )
    assert _as_numpy(result) == pytest.approx(expected)
    if average is False:
        assert isinstance(result, torch.Tensor) and result.shape == (4,)
    else:
        assert isinstance(result, float)


@pytest.mark.parametrize("cls", [Precision, Recall])
@pytest.mark.parametrize("average", [False, "macro", "micro", "weighted"])
def test_binary(cls, average):
    y_pred = torch.randint(0, 2, (50,))
    y = torch.randint(0, 2, (50,))
    result = _feed(cls(average=average), y_pred, y)
    if average is False:
        # Binary without averaging: the score of the positive class.
        expected = SKLEARN[cls](y.numpy(), y_pred.numpy(), average="binary")
    else:
        expected = SKLEARN[cls](y.numpy(), y_pred.numpy(), average=average)
    assert float(result) == pytest.approx(expected)


@pytest.mark.parametrize("cls", [Precision, Recall])
@pytest.mark.parametrize("average", [False, "macro", "micro", "weighted", "samples"])
def test_multilabel(cls, average):
    y_pred = torch.randint(0, 2, (40, 5))
    y = torch.randint(0, 2, (40, 5))
    result = _feed(cls(average=average, is_multilabel=True), y_pred, y)
    sk_average = None if average is False else average
    expected = SKLEARN[cls](y.numpy(), y_pred.numpy(), average=sk_average, zero_division=0)
    assert _as_numpy(result) == pytest.approx(expected)


def test_multilabel_extra_dims_are_samples():
    y_pred = torch.randint(0, 2, (4, 3, 5))
    y = torch.randint(0, 2, (4, 3, 5))
    result = _feed(Precision(average="micro", is_multilabel=True), y_pred, y)
    flat_pred = y_pred.transpose(1, 2).reshape(-1, 3).numpy()
    flat_y = y.transpose(1, 2).reshape(-1, 3).numpy()
    assert result == pytest.approx(precision_score(flat_y, flat_pred, average="micro"))


def test_invalid_average():
    with pytest.raises(ValueError, match="Argument average should be"):
        Precision(average="median")


def test_samples_rejected_for_multiclass():
    with pytest.raises(ValueError, match="average='samples' is incompatible"):
        Recall(average="samples").update((torch.randn(4, 3), torch.randint(0, 3, (4,))))


def test_more_classes_in_y_than_in_y_pred():
    with pytest.raises(ValueError, match="y_pred contains fewer classes than y"):
        Precision().update((torch.randn(4, 3), torch.tensor([0, 1, 2, 3])))


def test_dtype_warnings():
    with pytest.warns(RuntimeWarning, match="should be of dtype long"):
        Precision().update((torch.randn(4, 3), torch.tensor([0.0, 1.0, 2.0, 1.0])))
    with pytest.warns(RuntimeWarning, match="binary and average!=False"):
        Recall(average="macro").update((torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0])))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Precision().update((torch.randn(4, 3), torch.tensor([0, 1, 2, 1])))


def test_not_computable_before_update():
    with pytest.raises(NotComputableError, match="Precision must have at least one example"):
        Precision().compute()
    with pytest.raises(NotComputableError, match="Recall must have at least one example"):
        Recall(average=True).compute()


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_fbeta_multiclass(beta):
    y_pred = torch.randn(60, 3)
    y = torch.randint(0, 3, (60,))
    y_hat = y_pred.argmax(1).numpy()
    averaged = Fbeta(beta)
    per_class = Fbeta(beta, average=False)
    for metric in (averaged, per_class):
        metric.update((y_pred, y))
    assert averaged.compute() == pytest.approx(
        fbeta_score(y.numpy(), y_hat, beta=beta, average="macro")
    )
    np.testing.assert_allclose(
        per_class.compute().numpy(),
        fbeta_score(y.numpy(), y_hat, beta=beta, average=None),
        rtol=1e-6,
    )


def test_fbeta_reuses_given_precision_and_recall(echo_engine):
    precision = Precision(average=False)
    recall = Recall(average=False)
    f1 = Fbeta(1.0, precision=precision, recall=recall)
    data = [(torch.randn(10, 3), torch.randint(0, 3, (10,))) for _ in range(3)]
    engine = echo_engine()
    precision.attach(engine, "precision")
    f1.attach(engine, "f1")
    state = engine.run(data)
    y_hat = torch.cat([b[0] for b in data]).argmax(1).numpy()
    y = torch.cat([b[1] for b in data]).numpy()
    assert state.metrics["f1"] == pytest.approx(fbeta_score(y, y_hat, beta=1.0, average="macro"))
    np.testing.assert_allclose(
        state.metrics["precision"].numpy(), precision_score(y, y_hat, average=None), rtol=1e-6
    )


def test_fbeta_argument_errors():
    with pytest.raises(ValueError, match="Beta should be a positive"):
        Fbeta(0.0)
    with pytest.raises(ValueError, match="output_transform should be None"):
        Fbeta(1.0, precision=Precision(), output_transform=lambda x: x)
    with pytest.raises(ValueError, match="device should be None"):
        Fbeta(1.0, recall=Recall(), device="cpu")
    with pytest.raises(ValueError, match="precision metric should have average=False"):
        Fbeta(1.0, precision=Precision(average=True))
    with pytest.raises(ValueError, match="recall metric should have average=False"):
        Fbeta(1.0, recall=Recall(average=True))


@pytest.mark.parametrize("average", [False, "macro", "weighted"])
def test_attached_precision_over_epoch(echo_engine, average):
    data = [(torch.randn(12, 4), torch.randint(0, 4, (12,))) for _ in range(4)]
    engine = echo_engine()
    Precision(average=average).attach(engine, "p")
    state = engine.run(data)
    y_hat = torch.cat([b[0] for b in data]).argmax(1).numpy()
    y = torch.cat([b[1] for b in data]).numpy()
    expected = precision_score(y, y_hat, average=average or None, zero_division=0)
    assert _as_numpy(state.metrics["p"]) == pytest.approx(expected)
