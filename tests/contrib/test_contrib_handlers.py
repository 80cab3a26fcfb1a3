"""ignite's old import paths under ``contrib.handlers``: the same names, which are the
very objects of ``oxignite.handlers`` (re-exports, no copies), and the same
DeprecationWarning on importing a moved module."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings

import ignite.contrib.handlers as ig_contrib
import oxignite.contrib.handlers as ours
import oxignite.handlers
import pytest

MOVED = [
    "base_logger",
    "lr_finder",
    "param_scheduler",
    "tensorboard_logger",
    "time_profilers",
    "tqdm_logger",
]


def _exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def test_every_ignite_contrib_handlers_name_resolves_to_the_oxignite_object():
    ig_names = [n for n in dir(ig_contrib) if not n.startswith("_")]
    checked = 0
    for name in ig_names:
        if name in ours._MODULES:
            assert ours.__getattr__(name) is importlib.import_module(f"oxignite.handlers.{name}")
            continue
        assert name in ours._NAMES, f"ignite.contrib.handlers.{name} is not mapped"
        if not _exists(ours._NAMES[name]):
            continue  # an optional logger not built yet: it resolves once its module exists
        ours_obj = getattr(ours, name)
        assert ours_obj is getattr(importlib.import_module(ours._NAMES[name]), name)
        assert ours_obj.__name__ == getattr(ig_contrib, name).__name__
        checked += 1
    assert checked >= 12


def test_star_import_and_unknown_name():
    namespace: dict = {}
    exec("from oxignite.contrib.handlers import *", namespace)  # noqa: S102 - a star import
    assert namespace["ProgressBar"] is oxignite.handlers.ProgressBar
    assert namespace["FastaiLRFinder"] is oxignite.handlers.FastaiLRFinder
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        ours.Nope  # noqa: B018


def _fresh_import(name: str):
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [w for w in caught if w.category is DeprecationWarning]


@pytest.mark.parametrize("module", MOVED)
def test_moved_modules_warn_and_reexport_like_ignite(module):
    if not _exists(f"oxignite.handlers.{module}"):
        pytest.skip(f"oxignite.handlers.{module} is not built yet")
    ig_mod, ig_warnings = _fresh_import(f"ignite.contrib.handlers.{module}")
    ours_mod, our_warnings = _fresh_import(f"oxignite.contrib.handlers.{module}")
    assert len(our_warnings) == len(ig_warnings) == 1
    expected = str(ig_warnings[0].message).replace(ig_mod.__file__, ours_mod.__file__)
    assert str(our_warnings[0].message) == expected.replace("/ignite/", "/oxignite/")
    assert sorted(ours_mod.__all__) == sorted(ig_mod.__all__)
    real = importlib.import_module(f"oxignite.handlers.{module}")
    for name in ours_mod.__all__:
        assert getattr(ours_mod, name) is getattr(real, name), name


def test_tensorboard_logger_star_import_as_in_the_docs(tmp_path):
    # ignite's documentation chapter starts with this import.
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec("from oxignite.contrib.handlers.tensorboard_logger import *", namespace)  # noqa: S102
    logger = namespace["TensorboardLogger"](log_dir=str(tmp_path))
    assert isinstance(logger, oxignite.handlers.TensorboardLogger)
    logger.close()
    assert {"OutputHandler", "OptimizerParamsHandler", "WeightsScalarHandler"} <= set(namespace)


def test_contrib_and_utils_never_import_ignite():
    import ast
    from pathlib import Path

    import oxignite.contrib
    import oxignite.utils

    root = Path(oxignite.contrib.__file__).parent
    files = [*root.rglob("*.py"), Path(oxignite.utils.__file__)]
    assert len(files) >= 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "ignite" or n.startswith("ignite.") for n in names), path
