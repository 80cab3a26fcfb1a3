"""oxignite.metrics.rec_sys (HitRate, NDCG) against pytorch-ignite and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ignite.metrics import rec_sys as ignite_rec_sys
from oxignite.exceptions import NotComputableError
from oxignite.metrics import rec_sys


def _data(seed, n_users=37, n_items=12, graded=False):
    gen = torch.Generator().manual_seed(seed)
    scores = torch.rand(n_users, n_items, generator=gen)
    if graded:
        relevance = torch.randint(0, 4, (n_users, n_items), generator=gen).float()
    else:
        relevance = (torch.rand(n_users, n_items, generator=gen) > 0.85).float()
    relevance[::7] = 0  # some users without any relevant item
    return scores, relevance


def _feed(metric, scores, relevance, batch_size=8):
    for i in range(0, len(scores), batch_size):
        metric.update((scores[i : i + batch_size], relevance[i : i + batch_size]))
    return metric.compute()


def test_same_names_as_ignite():
    assert sorted(rec_sys.__all__) == sorted(ignite_rec_sys.__all__)


@pytest.mark.parametrize("top_k", [1, 3, [5, 1, 12]])
@pytest.mark.parametrize("ignore_zero_hits", [True, False])
def test_hitrate_same_as_ignite(top_k, ignore_zero_hits):
    scores, relevance = _data(1)
    ours = _feed(rec_sys.HitRate(top_k, ignore_zero_hits), scores, relevance)
    theirs = _feed(ignite_rec_sys.HitRate(top_k, ignore_zero_hits), scores, relevance)
    assert ours == pytest.approx(theirs)
    # By hand: any relevant item among the k best scores.
    keep = relevance.sum(1) > 0 if ignore_zero_hits else torch.ones(len(scores), dtype=torch.bool)
    order = scores[keep].argsort(dim=1, descending=True)
    hits = relevance[keep].gather(1, order) > 0
    ks = sorted([top_k] if isinstance(top_k, int) else top_k)
    assert ours == pytest.approx([hits[:, :k].any(1).float().mean().item() for k in ks])


@pytest.mark.parametrize("gain_function", ["exp_rank", "linear_rank"])
@pytest.mark.parametrize("ignore_zero_hits", [True, False])
@pytest.mark.parametrize("threshold", [1.0, 2.0])
def test_ndcg_same_as_ignite(gain_function, ignore_zero_hits, threshold):
    scores, relevance = _data(2, graded=True)
    args = ([1, 3, 20], ignore_zero_hits, threshold, gain_function)
    ours = _feed(rec_sys.NDCG(*args), scores, relevance)
    theirs = _feed(ignite_rec_sys.NDCG(*args), scores, relevance)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_ndcg_against_sklearn():
    from sklearn.metrics import ndcg_score

    scores, relevance = _data(3, graded=True)
    relevance[::7] = 1.0  # every user has a relevant item
    for k in (1, 4, 12):
        (ours,) = _feed(rec_sys.NDCG([k], gain_function="linear_rank"), scores, relevance)
        expected = ndcg_score(relevance.numpy(), scores.numpy().astype(np.float64), k=k)
        assert ours == pytest.approx(expected, rel=1e-5)


def test_errors_same_as_ignite():
    constructors = [
        (lambda m: m.HitRate(top_k="3"), ValueError),
        (lambda m: m.HitRate(top_k=[]), ValueError),
        (lambda m: m.HitRate(top_k=[2, 0]), ValueError),
        (lambda m: m.NDCG(top_k=[0]), ValueError),
        (lambda m: m.NDCG(top_k=[1], gain_function="log"), ValueError),
    ]
    for make, error in constructors:
        with pytest.raises(error) as ours:
            make(rec_sys)
        with pytest.raises(error) as theirs:
            make(ignite_rec_sys)
        assert str(ours.value) == str(theirs.value)
    for name in ("HitRate", "NDCG"):
        ours, theirs = getattr(rec_sys, name)(top_k=[1]), getattr(ignite_rec_sys, name)(top_k=[1])
        for output in [(torch.rand(2, 3), torch.rand(2, 4)), (torch.rand(2, 3),) * 3]:
            with pytest.raises(ValueError) as a:
                ours.update(output)
            with pytest.raises(ValueError) as b:
                theirs.update(output)
            assert str(a.value) == str(b.value)
        with pytest.raises(NotComputableError, match=f"{name} must have at least one example."):
            ours.compute()
        # Only rows without a relevant item: nothing counted.
        ours.update((torch.rand(2, 3), torch.zeros(2, 3)))
        with pytest.raises(NotComputableError):
            ours.compute()


def test_mapping_output_and_state_dict(echo_engine):
    scores, relevance = _data(4)
    data = [{"y_pred": scores[i : i + 10], "y": relevance[i : i + 10]} for i in range(0, 37, 10)]
    engine = echo_engine()
    rec_sys.HitRate(top_k=[1, 2]).attach(engine, "hr")
    state = engine.run(data)
    assert state.metrics["hr"] == pytest.approx(_feed(rec_sys.HitRate([1, 2]), scores, relevance))
    source = rec_sys.NDCG([2])
    expected = _feed(source, scores, relevance)
    restored = rec_sys.NDCG([2])
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == expected
