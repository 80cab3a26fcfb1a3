"""Entropy, MutualInformation, KLDivergence, JSDivergence: pytorch-ignite's values, scipy's
definitions, every accepted shape, and the bad-input errors."""

from __future__ import annotations

import numpy as np
import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics, not_computable
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as scipy_entropy

SHAPES = [(30, 5), (30, 4, 3), (30, 3, 2, 4)]
NAMES = ["Entropy", "MutualInformation", "KLDivergence", "JSDivergence"]


def _rows(t):
    return t.movedim(1, -1).reshape(-1, t.shape[1]) if t.ndim > 2 else t


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_matches_ignite(name, shape):
    y_pred, y = torch.randn(*shape) * 2, torch.randn(*shape)
    assert_matches_ignite(lambda m: getattr(m, name)(), batches_of(y_pred, y, 7))


def test_against_scipy():
    y_pred, y = torch.randn(40, 6).double() * 2, torch.randn(40, 6).double()
    p, q = torch.softmax(y_pred, 1).numpy(), torch.softmax(y, 1).numpy()

    def value(name):
        metric = getattr(ox, name)()
        for batch in batches_of(y_pred, y, 9):
            metric.update(batch)
        return metric.compute()

    assert value("Entropy") == pytest.approx(scipy_entropy(p, axis=1).mean(), rel=1e-5)
    marginal = scipy_entropy(p.mean(axis=0))
    assert value("MutualInformation") == pytest.approx(
        marginal - scipy_entropy(p, axis=1).mean(), rel=1e-5
    )
    assert value("KLDivergence") == pytest.approx(scipy_entropy(q, p, axis=1).mean(), rel=1e-5)
    js = np.mean([jensenshannon(a, b) ** 2 for a, b in zip(p, q)])
    assert value("JSDivergence") == pytest.approx(js, rel=1e-5)


def test_mutual_information_is_never_negative():
    mi = ox.MutualInformation()
    mi.update((torch.zeros(4, 3), torch.zeros(4)))  # uniform predictions: MI = 0 (not -eps)
    assert mi.compute() == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_errors_as_ignite(name):
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match=r"must be in the shape of \(B, C\)"):
            getattr(module, name)().update((torch.rand(5), torch.rand(5)))
        with pytest.raises(not_computable(module), match=f"{name} must have at least one example"):
            getattr(module, name)().compute()
    if name in ("KLDivergence", "JSDivergence"):
        for module in (ox, ignite_metrics):
            with pytest.raises(ValueError, match="y_pred and y must be in the same shape"):
                getattr(module, name)().update((torch.rand(4, 3), torch.rand(4, 2)))


def test_state_dict_holds_what_ignite_saves_and_the_rest():
    # ignite 0.5.5 saves MutualInformation's class probabilities only (not Entropy's sums):
    # a loaded one has no example. Ours saves the sums too, under extra keys that ignite's
    # loader ignores, so a loaded one computes the saved value.
    batch = (torch.randn(6, 3), torch.zeros(6))
    states = []
    for module in (ox, ignite_metrics):
        mi = module.MutualInformation()
        mi.update(batch)
        states.append(mi.state_dict()["__metric_state_per_rank"][0])
        other = module.MutualInformation()
        other.load_state_dict(mi.state_dict())
        if module is ox:
            assert other.compute() == mi.compute()
        else:
            with pytest.raises(not_computable(module), match="must have at least one example"):
                other.compute()
    assert list(states[1]) == ["_sum_of_probabilities"]
    assert list(states[0]) == ["_sum_of_probabilities", "_sum_of_entropies", "_num_examples"]
    assert torch.allclose(states[0]["_sum_of_probabilities"], states[1]["_sum_of_probabilities"])
    assert _rows(torch.zeros(2, 3, 4)).shape == (8, 3)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_with_autograd_graph_do_not_leak_into_the_state(name):
    x = torch.randn(8, 3, requires_grad=True)
    metric = getattr(ox, name)()
    metric.update((x * 2, x + 1))
    state = [v for v in vars(metric).values() if isinstance(v, torch.Tensor)]
    assert state and not any(t.requires_grad for t in state)
