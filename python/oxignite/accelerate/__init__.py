"""Run an unchanged pytorch-ignite project on oxignite.

``python -m oxignite.accelerate train.py [args...]`` runs ``train.py`` as ``__main__`` (as
``python train.py`` would) after :func:`install`; ``python -m oxignite.accelerate -m
package.module [args...]`` does the same for a module, like ``python -m``. In code, call
:func:`install` before anything imports ignite.

How it works. :func:`install` puts an import hook (a ``sys.meta_path`` finder) in front of
the import system. By default it serves every module of ignite's ``engine``, ``handlers``,
``metrics``, ``contrib``, ``distributed``, ``base``, ``utils``, ``exceptions`` and
``_utils`` (with their subpackages) that oxignite has: ``ignite.X`` *is* the module
``oxignite.X`` (one module object under both names), so ``ignite.metrics.Accuracy is
oxignite.metrics.Accuracy``, ``isinstance`` holds across both names, and objects pickle by
oxignite's qualified names. The ``ignite`` package itself stays pytorch-ignite's
(``ignite.__version__``, its metadata), and a module oxignite lacks is loaded from
pytorch-ignite. ``install(engine_only=True)`` (``--engine-only``) serves only
``ignite.engine.engine`` and ``ignite.engine.events``: ignite's own handlers and metrics on
oxignite's engine.

Child processes. :func:`install` also sets the environment variable ``OXIGNITE_ACCELERATE``
(``all`` or ``engine``), and the startup hook installed with oxignite
(``oxignite_accelerate.pth`` in site-packages, see :mod:`oxignite.accelerate._startup`) calls
:func:`install` at the start of every Python process that inherits it: spawn and forkserver
children, torchrun workers, DataLoader workers, ``subprocess`` Pythons. Without the variable
the hook costs one dictionary lookup. ``install(children=False)`` or ``--no-children`` keeps
it to this process; ``OXIGNITE_ACCELERATE=0`` (or empty) turns the hook off.

Limits, plainly:

- It must be installed before ``ignite`` is imported; :func:`install` raises RuntimeError
  if a module it would serve is already loaded from pytorch-ignite.
- The code is oxignite's: where it differs from ignite on purpose (see the README), the
  project sees oxignite's behaviour.
- ``ignite.X.__name__`` is ``"oxignite.X"`` (the module is oxignite's, not a copy), so
  ``mock.patch("ignite.X.name")`` patches oxignite. The engine's logger keeps ignite's name
  (``ignite.engine.engine.Engine``); other loggers have oxignite's module names.
- Only ``import`` is redirected: a file loaded by path is pytorch-ignite's code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

__all__ = ["ENV_VAR", "install", "is_installed", "mode", "uninstall"]

# Read by the startup hook of child processes: "all", "engine", or unset / "0" for off.
ENV_VAR = "OXIGNITE_ACCELERATE"

# ignite's subpackages and modules that oxignite mirrors, with everything under them.
SERVED_ROOTS = frozenset(
    {"engine", "handlers", "metrics", "contrib", "distributed", "base", "utils", "exceptions",
     "_utils"}
)
# install(engine_only=True): ignite's module -> the oxignite module that serves it.
ENGINE_ONLY = {
    "ignite.engine.engine": "oxignite.engine.engine",
    "ignite.engine.events": "oxignite.engine.events",
}


def served_name(fullname: str, engine_only: bool) -> str | None:
    """The oxignite module that would serve ignite's ``fullname`` (whether or not oxignite
    has it), or None for a module that stays pytorch-ignite's."""
    if engine_only:
        return ENGINE_ONLY.get(fullname)
    parts = fullname.split(".")
    if len(parts) < 2 or parts[0] != "ignite" or parts[1] not in SERVED_ROOTS:
        return None
    return "ox" + fullname


class _RedirectLoader(importlib.abc.Loader):
    """Hands out an existing oxignite module under an ignite module's name."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the ignite spec (and, for a package, ignite's __path__
        # if it had none) on the module; oxignite's module keeps its own.
        module.__spec__ = self._spec


class _RedirectFinder(importlib.abc.MetaPathFinder):
    """The ``sys.meta_path`` entry that :func:`install` adds."""

    def __init__(self) -> None:
        self.engine_only = False

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        served = served_name(fullname, self.engine_only)
        if served is None:
            return None
        if _oxignite_has(served):
            return importlib.machinery.ModuleSpec(fullname, _RedirectLoader(served))
        # A module oxignite lacks: pytorch-ignite's file, looked up in ignite's own folders
        # (its parent package here may be oxignite's, whose __path__ is oxignite's).
        return importlib.machinery.PathFinder.find_spec(fullname, [_ignite_folder(fullname)])


def _oxignite_has(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _ignite_folder(fullname: str) -> str:
    """The folder of pytorch-ignite's installation that holds ``fullname``'s file."""
    spec = importlib.machinery.PathFinder.find_spec("ignite")
    if spec is None or not spec.submodule_search_locations:
        return ""
    root = next(iter(spec.submodule_search_locations))
    return os.path.join(root, *fullname.split(".")[1:-1])


_FINDER = _RedirectFinder()
_saved_logger_for: Any = None


def is_installed() -> bool:
    """Whether :func:`install` is in effect in this process."""
    return _FINDER in sys.meta_path


def mode() -> str | None:
    """``"all"`` or ``"engine"`` (``engine_only=True``) while installed, else None."""
    if not is_installed():
        return None
    return "engine" if _FINDER.engine_only else "all"


def _ignite_logger_for(cls: type) -> Any:
    """The engine's logger under ignite's name, ``ignite.engine.engine.<class name>``."""
    import logging

    return logging.getLogger(f"ignite.engine.engine.{cls.__name__}")


def _loaded_from_ignite(engine_only: bool) -> list[str]:
    """Modules this mode would serve that are already loaded with pytorch-ignite's code."""
    loaded = []
    for name, module in list(sys.modules.items()):
        served = served_name(name, engine_only)
        if (served is not None and module is not None and module.__name__ != served
                and _oxignite_has(served)):
            loaded.append(name)
    return sorted(loaded)


def install(engine_only: bool = False, children: bool = True) -> None:
    """Serves ignite's modules from oxignite from now on (see the package's docstring).

    Call it before anything imports ignite; calling it again with the same mode is a no-op.

    Args:
        engine_only: serve only ``ignite.engine.engine`` and ``ignite.engine.events``
            (ignite's own handlers and metrics on oxignite's engine).
        children: also accelerate the Python processes this one starts (sets the
            ``OXIGNITE_ACCELERATE`` environment variable that oxignite's startup hook reads).

    Raises:
        TypeError: if ``engine_only`` or ``children`` is not a bool.
        ModuleNotFoundError: if pytorch-ignite is not installed.
        RuntimeError: if a module to serve was imported from pytorch-ignite already, or
            :func:`install` is in effect with the other ``engine_only``.

    Examples:
        >>> import oxignite.accelerate
        >>> oxignite.accelerate.install()  # doctest: +SKIP
        >>> from ignite.engine import Engine  # doctest: +SKIP
        >>> Engine.__module__  # doctest: +SKIP
        'oxignite.engine.engine'
    """
    global _saved_logger_for
    if not isinstance(engine_only, bool):
        raise TypeError(f"engine_only must be a bool, got {engine_only!r}")
    if not isinstance(children, bool):
        raise TypeError(f"children must be a bool, got {children!r}")
    if is_installed():
        if _FINDER.engine_only != engine_only:
            raise RuntimeError(
                f"oxignite.accelerate is installed with engine_only={_FINDER.engine_only}; "
                "call uninstall() before installing it with another mode"
            )
        _set_children(children, engine_only)
        return
    if importlib.util.find_spec("ignite") is None:
        raise ModuleNotFoundError(
            "oxignite.accelerate runs pytorch-ignite projects, but pytorch-ignite is not "
            "installed (pip install pytorch-ignite)",
            name="ignite",
        )
    loaded = _loaded_from_ignite(engine_only)
    if loaded:
        shown = ", ".join(loaded[:3]) + (", ..." if len(loaded) > 3 else "")
        raise RuntimeError(
            "oxignite.accelerate.install() must run before ignite is imported: "
            f"{shown} already loaded with pytorch-ignite's code"
        )
    import oxignite.engine.engine as engine_module

    # Engine loggers under ignite's names; engines created before keep theirs. (The engine
    # module names its loggers through this one function; tests check the names.)
    _saved_logger_for = getattr(engine_module, "_logger_for", None)
    if _saved_logger_for is not None:
        engine_module._logger_for = _ignite_logger_for
    _FINDER.engine_only = engine_only
    sys.meta_path.insert(0, _FINDER)
    _set_children(children, engine_only)


def _set_children(children: bool, engine_only: bool) -> None:
    if children:
        os.environ[ENV_VAR] = "engine" if engine_only else "all"
    else:
        os.environ.pop(ENV_VAR, None)


def uninstall() -> None:
    """Undoes :func:`install`: removes the hook, unsets ``OXIGNITE_ACCELERATE`` and forgets
    every ``ignite`` module imported.

    The next ``import ignite`` loads pytorch-ignite's own code. Objects created before
    (engines, handlers, classes held by other modules) keep running on oxignite's.
    """
    global _saved_logger_for
    if not is_installed():
        return
    sys.meta_path.remove(_FINDER)
    os.environ.pop(ENV_VAR, None)
    for name in [n for n in sys.modules if n == "ignite" or n.startswith("ignite.")]:
        del sys.modules[name]
    if _saved_logger_for is not None:
        import oxignite.engine.engine as engine_module

        engine_module._logger_for = _saved_logger_for
        _saved_logger_for = None
