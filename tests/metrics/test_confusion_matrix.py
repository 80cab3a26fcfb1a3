"""ConfusionMatrix and the metrics derived from it, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oxignite.exceptions import NotComputableError
from oxignite.metrics import (
    ConfusionMatrix,
    DiceCoefficient,
    IoU,
    JaccardIndex,
    cmAccuracy,
    cmPrecision,
    cmRecall,
    mIoU,
)
from sklearn.metrics import confusion_matrix, jaccard_score, precision_score, recall_score


def _data(n=48, c=4):
    return torch.randn(n, c), torch.randint(0, c, (n,))


def _feed(metric, y_pred, y, batch_size=10):
    for i in range(0, len(y), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric.compute()


def test_counts_match_sklearn():
    y_pred, y = _data()
    cm = _feed(ConfusionMatrix(num_classes=4), y_pred, y)
    assert cm.dtype == torch.int64
    expected = confusion_matrix(y.numpy(), y_pred.argmax(1).numpy(), labels=range(4))
    np.testing.assert_array_equal(cm.numpy(), expected)


def test_segmentation_input_and_ignored_targets():
    y_pred = torch.randn(3, 3, 4, 4)
    y = torch.randint(0, 3, (3, 4, 4))
    y[0, 0, 0] = 255  # out-of-range targets (e.g. "void") are not counted
    cm = _feed(ConfusionMatrix(num_classes=3), y_pred, y)
    keep = (y != 255).flatten()
    expected = confusion_matrix(
        y.flatten()[keep].numpy(), y_pred.argmax(1).flatten()[keep].numpy(), labels=range(3)
    )
    np.testing.assert_array_equal(cm.numpy(), expected)


@pytest.mark.parametrize("average, normalize", [("recall", "true"), ("precision", "pred")])
def test_normalized(average, normalize):
    y_pred, y = _data()
    cm = _feed(ConfusionMatrix(num_classes=4, average=average), y_pred, y)
    expected = confusion_matrix(y.numpy(), y_pred.argmax(1).numpy(), normalize=normalize)
    np.testing.assert_allclose(cm.numpy(), expected, rtol=1e-5)


def test_samples_average():
    y_pred, y = _data()
    cm = _feed(ConfusionMatrix(num_classes=4, average="samples"), y_pred, y)
    expected = confusion_matrix(y.numpy(), y_pred.argmax(1).numpy(), normalize="all")
    np.testing.assert_allclose(cm.numpy(), expected, rtol=1e-5)


def test_derived_metrics_match_sklearn():
    y_pred, y = _data(n=80)
    y_true, y_hat = y.numpy(), y_pred.argmax(1).numpy()
    cm = ConfusionMatrix(num_classes=4)
    derived = {
        "iou": IoU(cm),
        "jaccard": JaccardIndex(cm),
        "miou": mIoU(cm),
        "miou_ignore_0": mIoU(cm, ignore_index=0),
        "dice": DiceCoefficient(cm),
        "accuracy": cmAccuracy(cm),
        "precision": cmPrecision(cm, average=False),
        "recall": cmRecall(cm),
    }
    _feed(cm, y_pred, y)
    values = {name: metric.compute() for name, metric in derived.items()}
    iou = jaccard_score(y_true, y_hat, average=None)
    np.testing.assert_allclose(values["iou"].numpy(), iou, rtol=1e-6)
    np.testing.assert_allclose(values["jaccard"].numpy(), iou, rtol=1e-6)
    assert values["miou"].item() == pytest.approx(iou.mean())
    assert values["miou_ignore_0"].item() == pytest.approx(iou[1:].mean())
    np.testing.assert_allclose(values["dice"].numpy(), 2 * iou / (1 + iou), rtol=1e-6)
    assert values["accuracy"].item() == pytest.approx((y_true == y_hat).mean())
    np.testing.assert_allclose(
        values["precision"].numpy(), precision_score(y_true, y_hat, average=None), rtol=1e-6
    )
    assert values["recall"].item() == pytest.approx(recall_score(y_true, y_hat, average="macro"))


def test_attached_derived_metric_counts_each_sample_once(echo_engine):
    data = [_data(n=12, c=3) for _ in range(3)]
    engine = echo_engine()
    cm = ConfusionMatrix(num_classes=3)
    cm.attach(engine, "cm")
    mIoU(cm).attach(engine, "miou")
    state = engine.run(data)
    y_hat = torch.cat([b[0] for b in data]).argmax(1).numpy()
    y = torch.cat([b[1] for b in data]).numpy()
    np.testing.assert_array_equal(state.metrics["cm"].numpy(), confusion_matrix(y, y_hat))
    assert state.metrics["miou"] == pytest.approx(jaccard_score(y, y_hat, average="macro"))


def test_errors():
    with pytest.raises(ValueError, match="num_classes needs to be > 1"):
        ConfusionMatrix(num_classes=1)
    with pytest.raises(ValueError, match="Argument average"):
        ConfusionMatrix(num_classes=3, average="macro")
    cm = ConfusionMatrix(num_classes=3)
    with pytest.raises(NotComputableError):
        cm.compute()
    with pytest.raises(ValueError, match="correct number of classes"):
        cm.update((torch.randn(4, 2), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match="y_pred must have shape"):
        cm.update((torch.randn(4), torch.randint(0, 2, (4,))))
    with pytest.raises(ValueError, match="compatible shapes"):
        cm.update((torch.randn(4, 3), torch.randint(0, 3, (5,))))
    with pytest.raises(TypeError, match="instance of ConfusionMatrix"):
        IoU(object())
    with pytest.raises(ValueError, match="ignore_index should be integer"):
        mIoU(cm, ignore_index=3)
    with pytest.raises(ValueError, match="either None or 'samples'"):
        IoU(ConfusionMatrix(num_classes=3, average="recall"))
