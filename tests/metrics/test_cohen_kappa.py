"""CohenKappa: the same values as pytorch-ignite and scikit-learn, with and without
num_classes, plus its bad-input errors."""

from __future__ import annotations

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics
from oxignite.exceptions import NotComputableError
from sklearn.metrics import cohen_kappa_score


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@pytest.mark.parametrize("num_classes", [None, 4])
@pytest.mark.parametrize("column", [False, True], ids=["N", "N1"])
def test_matches_ignite_and_sklearn(weights, num_classes, column):
    y_pred, y = torch.randint(0, 4, (47,)), torch.randint(0, 4, (47,))
    if column:
        y_pred, y = y_pred[:, None], y[:, None]
    value = assert_matches_ignite(
        lambda m: m.CohenKappa(weights=weights, num_classes=num_classes), batches_of(y_pred, y, 8)
    )
    expected = cohen_kappa_score(y.flatten().numpy(), y_pred.flatten().numpy(), weights=weights)
    assert value == pytest.approx(expected)


def test_errors():
    with pytest.raises(ValueError, match="Kappa Weighting type must be"):
        ox.CohenKappa(weights="cubic")
    for num_classes in (None, 3):
        metric = ox.CohenKappa(num_classes=num_classes)
        with pytest.raises(ValueError, match="multilabel-indicator is not supported"):
            metric.update((torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3))))
            metric.compute()
    with pytest.raises(NotComputableError):
        ox.CohenKappa().compute()
    with pytest.raises(NotComputableError):
        ox.CohenKappa(num_classes=3).compute()


def test_multilabel_rejected_like_ignite():
    batch = (torch.randint(0, 2, (4, 3)), torch.randint(0, 2, (4, 3)))
    for module in (ox, ignite_metrics):
        metric = module.CohenKappa()
        metric.update(batch)
        with pytest.raises(ValueError, match="multilabel-indicator is not supported"):
            metric.compute()


@pytest.mark.parametrize("num_classes", [None, 3])
def test_state_dict_round_trip(num_classes):
    # ignite 0.5.5 saves no CohenKappa state: a loaded one starts empty. Ours adds the
    # inner metric's state under the extra key "_impl" (ignored by ignite's loader), so a
    # loaded one continues from the saved state.
    batch = (torch.randint(0, 3, (20,)), torch.randint(0, 3, (20,)))
    for module, keys in ((ox, ["_impl"]), (ignite_metrics, [])):
        metric = module.CohenKappa(num_classes=num_classes)
        metric.update(batch)
        assert list(metric.state_dict()["__metric_state_per_rank"][0]) == keys
        other = module.CohenKappa(num_classes=num_classes)
        other.load_state_dict(metric.state_dict())
        other.update(batch)
        if module is ox:
            metric.update(batch)
        assert other.compute() == metric.compute()


@pytest.mark.parametrize("num_classes", [None, 3])
def test_no_update_error_like_ignite(num_classes):
    def message(module):
        # Each library raises its own NotComputableError class.
        with pytest.raises(Exception) as info:
            module.CohenKappa(num_classes=num_classes).compute()
        return type(info.value).__name__, str(info.value)

    assert message(ox) == message(ignite_metrics)
