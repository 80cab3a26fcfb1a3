"""CohenKappa and MutualInformation save their complete state: restored mid-epoch, they
continue to the uninterrupted value. Files still interchange with pytorch-ignite 0.5.5,
which saves only part of it (nothing for CohenKappa, MutualInformation's class
probabilities only) and whose loader ignores the extra keys we add."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import batches_of, ignite_metrics
from sklearn.metrics import cohen_kappa_score

PER_RANK = "__metric_state_per_rank"
KAPPA_CASES = [
    pytest.param(weights, num_classes, id=f"{weights}-{num_classes}")
    for weights in (None, "linear", "quadratic")
    for num_classes in (None, 4)
]


def _labels() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    y_pred, y = torch.randint(0, 4, (61,), generator=gen), torch.randint(0, 4, (61,), generator=gen)
    y_pred[:4] = y[:4] = torch.arange(4)  # every class present, as sklearn's labels
    return y_pred, y


def _logits() -> list:
    gen = torch.Generator().manual_seed(5)
    return batches_of(torch.randn(50, 5, generator=gen), torch.zeros(50), 7)


def _feed(metric: Any, batches: list) -> Any:
    for batch in batches:
        metric.update(batch)
    return metric


def _resumed(make: Callable[[Any], Any], src: Any, dst: Any, batches: list, path: Path) -> Any:
    """``src``'s metric fed half the batches, saved to disk, loaded into a fresh ``dst``
    metric that is fed the rest: the value ``dst`` then computes."""
    half = len(batches) // 2
    torch.save(_feed(make(src), batches[:half]).state_dict(), path)
    reader = make(dst)
    reader.load_state_dict(torch.load(path, weights_only=True))
    return _feed(reader, batches[half:]).compute()


def _kappa(weights: str | None, num_classes: int | None) -> Callable[[Any], Any]:
    return lambda m: m.CohenKappa(weights=weights, num_classes=num_classes)


def _mutual_information(m: Any) -> Any:
    return m.MutualInformation()


@pytest.mark.parametrize(("weights", "num_classes"), KAPPA_CASES)
def test_cohen_kappa_resumes_exactly(weights, num_classes, tmp_path):
    y_pred, y = _labels()
    batches = batches_of(y_pred, y, 8)
    make = _kappa(weights, num_classes)
    uninterrupted = _feed(make(ox), batches).compute()
    assert _resumed(make, ox, ox, batches, tmp_path / "s.pt") == uninterrupted
    expected = cohen_kappa_score(y.numpy(), y_pred.numpy(), weights=weights)
    assert uninterrupted == pytest.approx(expected)


def test_mutual_information_resumes_exactly(tmp_path):
    batches = _logits()
    uninterrupted = _feed(_mutual_information(ox), batches).compute()
    assert _resumed(_mutual_information, ox, ox, batches, tmp_path / "s.pt") == uninterrupted


def _interchange_cases() -> list:
    cases = [pytest.param(_kappa(w, n), id=f"CohenKappa-{w}-{n}") for w, n in
             [(None, None), ("quadratic", None), ("linear", 4), (None, 4)]]  # fmt: skip
    return [*cases, pytest.param(_mutual_information, id="MutualInformation")]


def _batches_for(make: Callable[[Any], Any]) -> list:
    return _logits() if make is _mutual_information else batches_of(*_labels(), 8)


@pytest.mark.parametrize("make", _interchange_cases())
def test_ignite_file_continues_as_in_ignite(make, tmp_path):
    # An ignite file lacks our extra keys: loading it is no error, and the metric then
    # continues as ignite's continues from its own file.
    batches = _batches_for(make)
    ignite_own = _resumed(make, ignite_metrics, ignite_metrics, batches, tmp_path / "ig.pt")
    ours = _resumed(make, ignite_metrics, ox, batches, tmp_path / "ig2.pt")
    assert ours == pytest.approx(ignite_own, rel=1e-12)


@pytest.mark.parametrize("make", _interchange_cases())
def test_our_file_loads_in_ignite_as_its_own(make, tmp_path):
    batches = _batches_for(make)
    half = len(batches) // 2
    ours = _feed(make(ox), batches[:half]).state_dict()[PER_RANK][0]
    theirs = _feed(make(ignite_metrics), batches[:half]).state_dict()[PER_RANK][0]
    # ignite's keys first, then the extra ones.
    assert list(ours)[: len(theirs)] == list(theirs)
    assert len(ours) > len(theirs)
    ignite_own = _resumed(make, ignite_metrics, ignite_metrics, batches, tmp_path / "ig.pt")
    from_ours = _resumed(make, ox, ignite_metrics, batches, tmp_path / "ox.pt")
    assert from_ours == pytest.approx(ignite_own, rel=1e-12)


def test_cross_configuration_file_is_refused():
    # A file of CohenKappa(num_classes=...) holds a confusion matrix, not labels.
    metric = _feed(ox.CohenKappa(num_classes=4), batches_of(*_labels(), 8))
    with pytest.raises(ValueError, match="Required state attribute"):
        ox.CohenKappa().load_state_dict(metric.state_dict())
