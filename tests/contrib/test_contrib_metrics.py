"""ignite's ``contrib.metrics`` paths: the same names as pytorch-ignite, each the very object
of ``oxignite.metrics`` (re-exports, not copies), and the same DeprecationWarning on import of
a moved module."""

from __future__ import annotations

import importlib
import sys
import warnings

import oxignite.contrib.metrics as contrib_metrics
import pytest
from oxignite import metrics

ignite_contrib = pytest.importorskip("ignite.contrib.metrics")

MOVED = {
    "average_precision": ["AveragePrecision"],
    "cohen_kappa": ["CohenKappa"],
    "gpu_info": ["GpuInfo"],
    "precision_recall_curve": ["PrecisionRecallCurve"],
    "roc_auc": ["ROC_AUC", "RocCurve"],
}


def _public(module):
    return {n for n in dir(module) if not n.startswith("_") and n not in ("ignite", "annotations")}


def test_same_names_as_ignite():
    ours = _public(contrib_metrics) - {"importlib", "Any", "regression"}
    assert ours == _public(ignite_contrib)
    for name in contrib_metrics.__all__:
        assert getattr(contrib_metrics, name) is getattr(metrics, name)
    for module in MOVED:
        assert getattr(contrib_metrics, module) is importlib.import_module(
            f"oxignite.metrics.{module}"
        )
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        contrib_metrics.Nope  # noqa: B018


def _fresh_import(monkeypatch, name):
    monkeypatch.delitem(sys.modules, name, raising=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [w for w in seen if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("module", sorted(MOVED))
def test_moved_modules_warn_and_reexport(monkeypatch, module):
    old, seen = _fresh_import(monkeypatch, f"oxignite.contrib.metrics.{module}")
    assert len(seen) == 1
    assert f"has been moved to oxignite/metrics/{module}.py" in str(seen[0].message) or (
        f"has been moved to /oxignite/metrics/{module}.py" in str(seen[0].message)
    )
    assert "will be removed in version 0.6.0" in str(seen[0].message)
    assert old.__all__ == MOVED[module]
    for name in MOVED[module]:
        assert getattr(old, name) is getattr(metrics, name)


def test_regression_namespace(monkeypatch):
    import oxignite.contrib.metrics.regression as ours

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ignite.contrib.metrics.regression as theirs
    assert ours.__all__ == theirs.__all__
    assert contrib_metrics.regression is ours
    for name in ours.__all__:
        value = getattr(ours, name)
        if name[0].isupper():
            assert value is getattr(importlib.import_module("oxignite.metrics.regression"), name)
        else:
            assert value is importlib.import_module(f"oxignite.metrics.regression.{name}")
            old, seen = _fresh_import(monkeypatch, f"oxignite.contrib.metrics.regression.{name}")
            assert len(seen) == 1
            assert f"oxignite/metrics/regression/{name}.py" in str(seen[0].message)
            (metric,) = old.__all__
            assert getattr(old, metric) is getattr(ours, metric)
