"""oxignite.metrics.gan (FID, InceptionScore) against pytorch-ignite, numpy and scipy."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from ignite.metrics import gan as ignite_gan
from oxignite.exceptions import NotComputableError
from oxignite.metrics import gan
from oxignite.metrics.gan.fid import fid_score
from oxignite.metrics.gan.utils import InceptionModel


def _images(seed, n=40, dim=24):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, dim, generator=gen), torch.rand(n, dim, generator=gen) * 1.3 + 0.1


def _extractor(seed=0, dim=24, features=6, softmax=False):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(dim, features)]
    if softmax:
        layers.append(torch.nn.Softmax(dim=1))
    return torch.nn.Sequential(*layers)


def _feed(metric, batches):
    for batch in batches:
        metric.update(batch)
    return metric.compute()


def test_same_names_as_ignite():
    assert sorted(gan.__all__) == sorted(ignite_gan.__all__)


def test_fid_same_as_ignite_and_scipy():
    import scipy.linalg

    fake, real = _images(1)
    model = _extractor()
    batches = [(fake[i : i + 16], real[i : i + 16]) for i in range(0, 40, 16)]
    ours = _feed(gan.FID(num_features=6, feature_extractor=model), batches)
    theirs = _feed(ignite_gan.FID(num_features=6, feature_extractor=copy.deepcopy(model)), batches)
    assert ours == pytest.approx(theirs, rel=1e-9)

    with torch.no_grad():
        f1, f2 = model(fake).double().numpy(), model(real).double().numpy()
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert ours == pytest.approx(expected, rel=1e-8)


def test_fid_identity_extractor_and_same_sets():
    fake, _ = _images(2, dim=5)
    metric = gan.FID(num_features=5)
    metric.update((fake, fake))
    assert metric.compute() == pytest.approx(0.0, abs=1e-6)
    mu, sigma = torch.zeros(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64)
    assert fid_score(mu, mu + 1, sigma, sigma) == pytest.approx(3.0)


def test_inception_score_same_as_ignite_and_by_hand():
    images, _ = _images(3)
    model = _extractor(softmax=True)
    batches = [images[i : i + 16] for i in range(0, 40, 16)]
    ours = _feed(gan.InceptionScore(num_features=6, feature_extractor=model), batches)
    theirs = _feed(
        ignite_gan.InceptionScore(num_features=6, feature_extractor=copy.deepcopy(model)), batches
    )
    assert ours == pytest.approx(theirs, rel=1e-9)
    with torch.no_grad():
        p = model(images).double()
    kl = (p * (p.log() - p.mean(0, keepdim=True).log())).sum(1)
    assert ours == pytest.approx(kl.mean().exp().item(), rel=1e-6)
    # Identical predictions for every image: p(y|x) = p(y), score 1.
    uniform = gan.InceptionScore(num_features=4)
    uniform.update(torch.full((8, 4), 0.25))
    assert uniform.compute() == pytest.approx(1.0)


@pytest.mark.parametrize("cls", ["FID", "InceptionScore"])
def test_errors(cls):
    metric_cls = getattr(gan, cls)
    with pytest.raises(ValueError, match="num_features must be provided"):
        metric_cls(feature_extractor=torch.nn.Identity())
    with pytest.raises(ValueError, match="num_features must be greater to zero, got: 0"):
        metric_cls(num_features=0)
    with pytest.raises(TypeError, match="feature_extractor must be of type torch.nn.Module"):
        metric_cls(num_features=2, feature_extractor=lambda x: x)
    metric = metric_cls(num_features=3)
    for bad, message in [
        (torch.rand(4, 3, 2), "must be a tensor of dim 2, got: 3"),
        (torch.rand(0, 3), "Batch size should be greater than one, got: 0"),
        (torch.rand(4, 2), "should be 3, got: 2"),
    ]:
        with pytest.raises(ValueError, match=message):
            metric.update((bad, bad) if cls == "FID" else bad)
    with pytest.raises(NotComputableError, match=f"{cls} must have at least one example"):
        metric.compute()


def test_fid_batches_must_match():
    with pytest.raises(ValueError, match="Number of Training Features and Testing Features"):
        gan.FID(num_features=3).update((torch.rand(4, 3), torch.rand(5, 3)))


def test_state_dict_and_engine(echo_engine):
    fake, real = _images(4)
    data = [(fake[i : i + 10], real[i : i + 10]) for i in range(0, 40, 10)]
    engine = echo_engine()
    model = _extractor()
    gan.FID(num_features=6, feature_extractor=model).attach(engine, "fid")
    state = engine.run(data)
    source = gan.FID(num_features=6, feature_extractor=model)
    assert _feed(source, data) == pytest.approx(state.metrics["fid"])
    restored = gan.FID(num_features=6, feature_extractor=model)
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == pytest.approx(state.metrics["fid"])


@pytest.fixture(scope="module")
def inception_weights(tmp_path_factory):
    """Random Inception-v3 weights written where torchvision looks for the pretrained ones."""
    models = pytest.importorskip("torchvision.models")
    hub_dir = tmp_path_factory.mktemp("hub")
    url = models.Inception_V3_Weights.DEFAULT.url
    (hub_dir / "checkpoints").mkdir()
    torch.manual_seed(0)
    model = models.inception_v3(weights=None, aux_logits=True, init_weights=False)
    torch.save(model.state_dict(), hub_dir / "checkpoints" / url.rsplit("/", 1)[-1])
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(hub_dir))
    yield model.state_dict()
    torch.hub.set_dir(previous)


def test_default_inception_model_loads_cached_weights(inception_weights):
    images = torch.rand(2, 3, 96, 96)  # small images keep the test fast (the minimum is 75)
    features = InceptionModel(return_features=True)
    assert torch.equal(
        features.model.Conv2d_1a_3x3.conv.weight, inception_weights["Conv2d_1a_3x3.conv.weight"]
    )
    assert not features.model.training
    ours = features(images)
    assert ours.shape == (2, 2048)
    assert isinstance(features.model.fc, torch.nn.Identity)  # the pooled features

    score = gan.InceptionScore()  # default extractor: 1000 class probabilities
    ignite_score = ignite_gan.InceptionScore()
    score.update(images)
    ignite_score.update(images)
    assert score.compute() == pytest.approx(ignite_score.compute(), rel=1e-6)
    fid = gan.FID()  # same default extractor as ignite's FID: the 1000 probabilities
    assert fid._num_features == 1000
    fid.update((images, images.flip(0)))
    assert fid._num_examples == 2

    with pytest.raises(ValueError, match="Inputs should be a tensor of dim 4, got 3"):
        features(images[0])
    with pytest.raises(ValueError, match="Inputs should be a tensor with 3 channels"):
        features(images[:, :1])


@pytest.mark.parametrize("missing", ["numpy", "scipy"])
def test_missing_numpy_or_scipy_errors_are_ignites(monkeypatch, missing):
    from ignite.metrics.gan.fid import fid_score as ignite_fid_score

    monkeypatch.setitem(__import__("sys").modules, missing, None)
    for ours, theirs in [(gan.FID, ignite_gan.FID), (fid_score, ignite_fid_score)]:
        args = () if ours is gan.FID else (0, 0, 0, 0)
        with pytest.raises(ModuleNotFoundError) as expected:
            theirs(*args)
        with pytest.raises(ModuleNotFoundError, match=str(expected.value)):
            ours(*args)
