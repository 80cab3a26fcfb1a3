"""oxignite.metrics.clustering against pytorch-ignite and scikit-learn."""

from __future__ import annotations

import math

import pytest
import torch
from ignite.metrics import clustering as ignite_clustering
from oxignite.exceptions import NotComputableError
from oxignite.metrics import clustering
from sklearn import metrics as sk

NAMES = {
    "SilhouetteScore": sk.silhouette_score,
    "CalinskiHarabaszScore": sk.calinski_harabasz_score,
    "DaviesBouldinScore": sk.davies_bouldin_score,
}


def _blobs(seed, n=101, dim=3, clusters=4, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, clusters, (n,), generator=gen)
    centers = torch.randn(clusters, dim, generator=gen, dtype=dtype) * 3
    return centers[labels] + torch.randn(n, dim, generator=gen, dtype=dtype), labels


def _feed(metric, features, labels, batch_size=20):
    for i in range(0, len(labels), batch_size):
        metric.update((features[i : i + batch_size], labels[i : i + batch_size]))
    return metric.compute()


def test_same_names_as_ignite():
    assert set(clustering.__all__) == {n for n in dir(ignite_clustering) if n[0].isupper()}


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_same_as_ignite_and_sklearn(name, dtype):
    features, labels = _blobs(len(name), dtype=dtype)
    ours = _feed(getattr(clustering, name)(), features, labels)
    theirs = _feed(getattr(ignite_clustering, name)(), features, labels)
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert ours == pytest.approx(NAMES[name](features.numpy(), labels.numpy()), rel=1e-9)


def test_silhouette_kwargs():
    features, labels = _blobs(5)
    metric = clustering.SilhouetteScore(silhouette_kwargs={"metric": "cosine"})
    expected = sk.silhouette_score(features.numpy(), labels.numpy(), metric="cosine")
    assert _feed(metric, features, labels) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_degenerate_and_bad_inputs(name):
    cls = getattr(clustering, name)
    one_cluster = cls()
    one_cluster.update((torch.rand(5, 2), torch.zeros(5, dtype=torch.long)))
    assert math.isnan(one_cluster.compute())
    every_sample_alone = cls(check_compute_fn=False)
    every_sample_alone.update((torch.rand(3, 2), torch.arange(3)))
    assert math.isnan(every_sample_alone.compute())
    with pytest.raises(NotComputableError, match=f"{name} must have at least one example"):
        cls().compute()
    with pytest.raises(ValueError, match=r"Features should be of shape \(batch_size, n_targets\)."):
        cls().update((torch.rand(4), torch.zeros(4)))
    with pytest.raises(ValueError, match=r"Labels should be of shape \(batch_size, \)."):
        cls().update((torch.rand(4, 2), torch.zeros(4, 1)))
    metric = cls(check_compute_fn=False)
    metric.update((torch.rand(4, 2), torch.zeros(4, dtype=torch.long)))
    with pytest.raises(ValueError, match="Incoherent types between input features"):
        metric.update((torch.rand(4, 2, dtype=torch.float64), torch.zeros(4, dtype=torch.long)))
    with pytest.raises(ValueError, match="Incoherent types between input labels"):
        metric.update((torch.rand(4, 2), torch.zeros(4, dtype=torch.int32)))


def test_mapping_output(echo_engine):
    features, labels = _blobs(6)
    data = [
        {"features": features[i : i + 25], "labels": labels[i : i + 25]} for i in range(0, 101, 25)
    ]
    engine = echo_engine()
    clustering.DaviesBouldinScore().attach(engine, "db")
    state = engine.run(data)
    assert state.metrics["db"] == pytest.approx(
        sk.davies_bouldin_score(features.numpy(), labels.numpy())
    )
