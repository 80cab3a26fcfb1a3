"""Every module of ignite's metric subpackages exists in oxignite with the same public names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import ignite.metrics
import oxignite.metrics
import pytest

SUBPACKAGES = ["regression", "nlp", "gan", "clustering", "rec_sys", "fairness", "vision"]


def _modules(subpackage):
    package = importlib.import_module(f"ignite.metrics.{subpackage}")
    yield package.__name__
    for info in pkgutil.iter_modules(package.__path__):
        yield f"{package.__name__}.{info.name}"


def _public_names(module):
    """Classes and functions defined in ``module`` (not imported into it), plus ``__all__``."""
    names = set(getattr(module, "__all__", ()))
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if getattr(obj, "__module__", None) == module.__name__:
            names.add(name)
    return names


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_same_modules_and_names(subpackage):
    for name in _modules(subpackage):
        if name.endswith("._base"):
            continue  # private helpers
        ours = importlib.import_module("ox" + name)
        missing = _public_names(importlib.import_module(name)) - set(dir(ours))
        assert not missing, (name, missing)


def test_metrics_package_exports_the_subpackage_names():
    assert set(ignite.metrics.__all__) <= set(oxignite.metrics.__all__)
    for name in ignite.metrics.__all__:
        assert hasattr(oxignite.metrics, name), name
    for subpackage in ("regression", "clustering", "fairness"):
        assert getattr(oxignite.metrics, subpackage).__name__ == f"oxignite.metrics.{subpackage}"


def _parameters(obj):
    """(name, default) of each parameter; callable defaults (identity transforms) as "fn"."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = []
    for p in inspect.signature(target).parameters.values():
        default = p.default
        if callable(default) and not inspect.isclass(default):
            default = "fn"
        params.append((p.name, default))
    return params


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_same_signatures(subpackage):
    for name in _modules(subpackage):
        if name.endswith("._base"):
            continue
        theirs_module = importlib.import_module(name)
        ours_module = importlib.import_module("ox" + name)
        for attr in _public_names(theirs_module):
            theirs, ours = getattr(theirs_module, attr), getattr(ours_module, attr)
            if inspect.isclass(theirs) and "__init__" not in vars(theirs):
                continue  # inherited constructor
            if inspect.isclass(theirs) and issubclass(theirs, tuple):
                continue  # NamedTuple
            assert _parameters(ours) == _parameters(theirs), f"{name}.{attr}"
