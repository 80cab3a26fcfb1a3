"""MultiLabelConfusionMatrix: pytorch-ignite's and scikit-learn's values, and its input checks."""

from __future__ import annotations

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics
from oxignite.exceptions import NotComputableError
from sklearn.metrics import multilabel_confusion_matrix


@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("shape", [(35, 4), (35, 4, 3), (35, 4, 2, 3)])
def test_matches_ignite_and_sklearn(shape, normalized):
    y_pred, y = torch.randint(0, 2, shape), torch.randint(0, 2, shape)
    value = assert_matches_ignite(
        lambda m: m.MultiLabelConfusionMatrix(num_classes=4, normalized=normalized),
        batches_of(y_pred, y, 8),
    )
    rows_pred = y_pred.movedim(1, -1).reshape(-1, 4).numpy()
    rows_true = y.movedim(1, -1).reshape(-1, 4).numpy()
    expected = torch.tensor(multilabel_confusion_matrix(rows_true, rows_pred))
    if normalized:
        assert value.dtype == torch.float64
        expected = expected / expected.sum(dim=(1, 2), keepdim=True)
        assert torch.allclose(value, expected.double())
    else:
        assert torch.equal(value, expected)


BAD = [
    ((torch.randint(0, 2, (4,)), torch.randint(0, 2, (4, 3))), "y_pred must at least have shape"),
    ((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4,))), "y must at least have shape"),
    ((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (5, 3))), "different batch size"),
    ((torch.randint(0, 2, (4, 2)), torch.randint(0, 2, (4, 3))), "y_pred does not have correct"),
    ((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 2))), "y does not have correct"),
    ((torch.randint(0, 2, (4, 3, 2)), torch.randint(0, 2, (4, 3, 3))), "shapes must match"),
    ((torch.rand(4, 3), torch.randint(0, 2, (4, 3))), "y_pred must be of any type"),
    ((torch.randint(0, 2, (4, 3)), torch.rand(4, 3)), "y must be of any type"),
    ((torch.randint(0, 3, (4, 3)) + 2, torch.randint(0, 2, (4, 3))), "y_pred must be a binary"),
    ((torch.randint(0, 2, (4, 3)), torch.randint(0, 3, (4, 3)) + 2), "y must be a binary"),
]


@pytest.mark.parametrize(("batch", "message"), BAD, ids=[m for _, m in BAD])
def test_errors_as_ignite(batch, message):
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match=message):
            module.MultiLabelConfusionMatrix(num_classes=3).update(batch)


def test_construction_and_empty():
    with pytest.raises(ValueError, match="num_classes needs to be > 1"):
        ox.MultiLabelConfusionMatrix(num_classes=1)
    with pytest.raises(NotComputableError):
        ox.MultiLabelConfusionMatrix(num_classes=2).compute()


@pytest.mark.parametrize("bad", [-1, 2, 3])
@pytest.mark.parametrize("which", ["y_pred", "y"])
def test_any_non_binary_value_is_rejected(bad, which):
    ok = torch.tensor([[0, 1, 1], [1, 0, 0]], dtype=torch.int8)
    wrong = ok.clone()
    wrong[1, 2] = bad
    batch = (wrong, ok.long()) if which == "y_pred" else (ok, wrong.long())
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match=f"^{which} must be a binary tensor"):
            module.MultiLabelConfusionMatrix(num_classes=3).update(batch)
