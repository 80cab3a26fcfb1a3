"""oxignite.metrics.regression against pytorch-ignite, numpy, scipy and scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from ignite.exceptions import NotComputableError as IgniteNotComputableError
from ignite.metrics import regression as ignite_regression
from oxignite.exceptions import NotComputableError
from oxignite.metrics import regression

NAMES = sorted(regression.__all__)
# Metrics that divide by y (or y - mean(y)): keep targets away from zero.
POSITIVE_TARGETS = {
    "MeanAbsoluteRelativeError",
    "MeanNormalizedBias",
    "MedianAbsolutePercentageError",
    "FractionalBias",
}


def _feed(metric, y_pred, y, batch_size=16):
    for i in range(0, len(y), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric.compute()


def _data(name, shape, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y_pred = torch.randn(shape, generator=gen, dtype=dtype)
    y = torch.randn(shape, generator=gen, dtype=dtype)
    if name in POSITIVE_TARGETS:
        y_pred, y = y_pred.abs() + 0.5, y.abs() + 0.5
    return y_pred, y


def test_same_names_as_ignite():
    assert set(regression.__all__) == {n for n in dir(ignite_regression) if n[0].isupper()}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(75,), (75, 1)])
def test_same_value_as_ignite(name, shape):
    y_pred, y = _data(name, shape, seed=len(name))
    ours = _feed(getattr(regression, name)(), y_pred, y)
    theirs = _feed(getattr(ignite_regression, name)(), y_pred, y)
    assert isinstance(ours, float)
    assert ours == pytest.approx(float(theirs), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name", ["R2Score", "PearsonCorrelation", "ManhattanDistance"])
def test_float64_inputs(name):
    y_pred, y = _data(name, (40,), dtype=torch.float64)
    ours = _feed(getattr(regression, name)(), y_pred, y)
    theirs = _feed(getattr(ignite_regression, name)(), y_pred, y)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_against_numpy_scipy_sklearn():
    from scipy.stats import kendalltau, spearmanr
    from sklearn.metrics import r2_score

    y_pred, y = _data("x", (101,), dtype=torch.float64)
    p, t = y_pred.numpy(), y.numpy()
    expected = {
        "R2Score": r2_score(t, p),
        "PearsonCorrelation": np.corrcoef(p, t)[0, 1],
        "SpearmanRankCorrelation": spearmanr(p, t).statistic,
        "KendallRankCorrelation": kendalltau(p, t).statistic,
        "MedianAbsoluteError": np.median(np.abs(t - p)),
        "MedianRelativeAbsoluteError": np.median(np.abs(t - p) / np.abs(t - t.mean())),
        "ManhattanDistance": np.abs(t - p).sum(),
        "CanberraMetric": (np.abs(t - p) / (np.abs(t) + np.abs(p))).sum(),
        "MaximumAbsoluteError": np.abs(t - p).max(),
        "MeanError": (t - p).mean(),
        "GeometricMeanAbsoluteError": np.exp(np.log(np.abs(t - p)).mean()),
        "WaveHedgesDistance": (np.abs(t - p) / np.maximum(t, p)).sum(),
    }
    for name, value in expected.items():
        assert _feed(getattr(regression, name)(), y_pred, y) == pytest.approx(value, rel=1e-5), name
    kendall_c = kendalltau(p, t, variant="c").statistic
    assert _feed(regression.KendallRankCorrelation("c"), y_pred, y) == pytest.approx(kendall_c)
    # An even count: the median is the mean of the two middle values, as numpy's.
    even = _feed(regression.MedianAbsoluteError(), y_pred[:100], y[:100])
    assert even == pytest.approx(np.median(np.abs(t[:100] - p[:100])))


@pytest.mark.parametrize("name", NAMES)
def test_bad_inputs_and_no_data(name):
    cls = getattr(regression, name)
    ignite_cls = getattr(ignite_regression, name)
    if name in {"CanberraMetric", "ManhattanDistance", "WaveHedgesDistance"}:
        # Sums: no data is a distance of 0, as in ignite.
        assert cls().compute() == ignite_cls().compute() == 0.0
    else:
        with pytest.raises(NotComputableError, match=name) as ours:
            cls().compute()
        with pytest.raises(IgniteNotComputableError) as theirs:
            ignite_cls().compute()
        assert str(ours.value) == str(theirs.value)
    if name.startswith("Median"):
        return  # EpochMetric shape checks, tested with EpochMetric
    bad = [
        ((torch.rand(4, 2), torch.rand(4, 2)), ValueError),  # not (N,) / (N, 1)
        ((torch.rand(4), torch.rand(5)), ValueError),  # different shapes
        ((torch.rand(4), torch.rand(4, 1)), ValueError),
        ((torch.randint(0, 5, (4,)), torch.rand(4)), TypeError),  # integer y_pred
        ((torch.rand(4), torch.randint(0, 5, (4,))), TypeError),
    ]
    for output, error in bad:
        with pytest.raises(error) as ours:
            cls().update(output)
        with pytest.raises(error) as theirs, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ignite_cls().update(output)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["MeanAbsoluteRelativeError", "MeanNormalizedBias"])
def test_zero_target_is_an_error(name):
    with pytest.raises(NotComputableError, match="The ground truth has 0."):
        getattr(regression, name)().update((torch.ones(3), torch.tensor([1.0, 0.0, 2.0])))


def test_kendall_variant_is_checked():
    with pytest.raises(ValueError, match="variant accepts 'b' or 'c', got 'a'"):
        regression.KendallRankCorrelation(variant="a")


def test_pearson_eps_and_reset():
    metric = regression.PearsonCorrelation(eps=0.5)
    assert metric.eps == 0.5
    # Constant inputs: zero variance, the denominator is clamped to eps.
    metric.update((torch.ones(5), torch.arange(5.0)))
    assert metric.compute() == 0.0
    metric.reset()
    with pytest.raises(NotComputableError):
        metric.compute()


def test_attached_and_state_dict(echo_engine):
    data = [_data("x", (10, 1), seed=s) for s in range(3)]
    engine = echo_engine()
    regression.R2Score().attach(engine, "r2")
    regression.MaximumAbsoluteError().attach(engine, "max_ae")
    state = engine.run(data)
    y_pred = torch.cat([p for p, _ in data]).squeeze(1)
    y = torch.cat([t for _, t in data]).squeeze(1)
    assert state.metrics["max_ae"] == pytest.approx((y - y_pred).abs().max().item())

    source = regression.R2Score()
    _feed(source, y_pred, y)
    restored = regression.R2Score()
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == source.compute() == pytest.approx(state.metrics["r2"])

    # Metrics that keep every sample restore their lists into a fresh metric.
    for name in ("GeometricMeanRelativeAbsoluteError", "MedianAbsoluteError"):
        source = getattr(regression, name)()
        expected = _feed(source, y_pred, y)
        restored = getattr(regression, name)()
        restored.load_state_dict(source.state_dict())
        assert restored.compute() == expected


def test_r2_and_pearson_accumulate_in_float64():
    # Large offsets: sum(y^2) - sum(y)^2 / n cancels; float32 sums (ignite's) lose the digits.
    from sklearn.metrics import r2_score

    y_pred, y = _data("x", (1000,))
    y_pred, y = y_pred + 1000, y + 0.5 * y_pred + 1000
    p, t = y_pred.double().numpy(), y.double().numpy()
    assert _feed(regression.R2Score(), y_pred, y) == pytest.approx(r2_score(t, p), rel=1e-5)
    expected = np.corrcoef(p, t)[0, 1]
    assert _feed(regression.PearsonCorrelation(), y_pred, y) == pytest.approx(expected, rel=1e-5)
