"""CosineSimilarity, MeanPairwiseDistance, MaximumMeanDiscrepancy, HSIC: pytorch-ignite's
values, numpy/scikit-learn's definitions, every accepted shape, the bad-input errors."""

from __future__ import annotations

import numpy as np
import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics, not_computable
from oxignite.exceptions import NotComputableError
from sklearn.metrics.pairwise import cosine_similarity

FACTORIES = {
    "cosine": lambda m: m.CosineSimilarity(),
    "cosine_eps": lambda m: m.CosineSimilarity(eps=0.5),
    "mpd": lambda m: m.MeanPairwiseDistance(),
    "mpd_p1": lambda m: m.MeanPairwiseDistance(p=1, eps=0.0),
    "mmd": lambda m: m.MaximumMeanDiscrepancy(),
    "mmd_var": lambda m: m.MaximumMeanDiscrepancy(var=3.0),
    "hsic": lambda m: m.HSIC(),
    "hsic_sigmas": lambda m: m.HSIC(sigma_x=2.0, sigma_y=0.5),
}
SHAPES = {
    "cosine": [(33, 6), (33, 3, 4)],
    "mpd": [(33, 6)],
    "mmd": [(33, 6), (33, 2, 3)],
    "hsic": [(33, 6), (33, 2, 3)],
}


@pytest.mark.parametrize(
    ("name", "shape"),
    [(n, s) for n in FACTORIES for s in SHAPES[n.split("_")[0]]],
    ids=lambda v: str(v),
)
def test_matches_ignite(name, shape):
    x = torch.randn(*shape)
    y = x + 0.5 * torch.randn(*shape)
    # Batches of 10 plus a last one of 3 (which HSIC skips).
    assert_matches_ignite(FACTORIES[name], batches_of(x, y, 10), rel=1e-5)


def _fed(metric, batches):
    for batch in batches:
        metric.update(batch)
    return metric.compute()


def test_against_numpy_and_sklearn():
    x, y = torch.randn(20, 5).double(), torch.randn(20, 5).double()
    xn, yn = x.numpy(), y.numpy()
    cos = np.diag(cosine_similarity(xn, yn)).mean()
    assert _fed(ox.CosineSimilarity(), batches_of(x, y, 6)) == pytest.approx(cos)
    dist = np.linalg.norm(xn - yn + 1e-6, axis=1).mean()
    assert _fed(ox.MeanPairwiseDistance(), batches_of(x, y, 6)) == pytest.approx(dist)

    def k(a, b):
        d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-0.5 * d)

    n = len(xn)
    mmd2 = (
        (k(xn, xn).sum() - n) / (n * (n - 1))
        + (k(yn, yn).sum() - n) / (n * (n - 1))
        - 2 * k(xn, yn).mean()
    )
    assert _fed(ox.MaximumMeanDiscrepancy(), [(x, y)]) == pytest.approx(np.sqrt(max(mmd2, 0)))


def test_hsic_against_numpy():
    x = torch.randn(12, 3).double()
    y = torch.sin(x) + 0.1 * torch.randn(12, 3).double()
    k, l_ = (
        np.exp(-0.5 * ((a[:, None] - a[None]) ** 2).sum(-1) / 4.0) for a in (x.numpy(), y.numpy())
    )
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l_, 0)
    b = 12
    kl = k @ l_
    hsic = (np.trace(kl) + k.sum() * l_.sum() / ((b - 1) * (b - 2)) - 2 * kl.sum() / (b - 2)) / (
        b * (b - 3)
    )
    value = _fed(ox.HSIC(sigma_x=2.0, sigma_y=2.0), [(x, y)])
    assert value == pytest.approx(max(hsic, 0.0))
    assert value > 0


def test_hsic_small_batches():
    small = (torch.randn(3, 2), torch.randn(3, 2))
    hsic = ox.HSIC()
    hsic.update(small)  # ignored
    with pytest.raises(NotComputableError, match="HSIC must have at least one batch"):
        hsic.compute()
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match="more than four samples, got only 3"):
            module.HSIC(ignore_invalid_batch=False).update(small)


def test_errors_as_ignite():
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match="x and y must be in the same shape"):
            module.MaximumMeanDiscrepancy().update((torch.rand(4, 3), torch.rand(4, 2)))
        with pytest.raises(ValueError, match=r"x must be in the shape of \(B, ...\)"):
            module.MaximumMeanDiscrepancy().update((torch.rand(4), torch.rand(4)))
        with pytest.raises(not_computable(module), match="at least one batch"):
            module.MaximumMeanDiscrepancy().compute()
        for name in ("CosineSimilarity", "MeanPairwiseDistance"):
            with pytest.raises(not_computable(module), match=f"{name} must have at least one"):
                getattr(module, name)().compute()


def test_mean_pairwise_distance_honours_skip_unrolling():
    # ignite ignores skip_unrolling=True here; oxignite passes it to Metric.
    assert ox.MeanPairwiseDistance(skip_unrolling=True)._skip_unrolling is True


@pytest.mark.parametrize(
    "name", ["CosineSimilarity", "MeanPairwiseDistance", "MaximumMeanDiscrepancy", "HSIC"]
)
def test_inputs_with_autograd_graph_do_not_leak_into_the_state(name):
    x = torch.randn(8, 3, requires_grad=True)
    metric = getattr(ox, name)()
    metric.update((x * 2, x + 1))  # outside torch.no_grad, as a user may call it
    state = [v for v in vars(metric).values() if isinstance(v, torch.Tensor)]
    assert state and not any(t.requires_grad for t in state)
