"""Run an unchanged pytorch-ignite project on oxignite's engine.

``python -m oxignite.accelerate train.py [args...]`` runs ``train.py`` as ``__main__`` (with
its own ``sys.argv``, like ``python train.py``) after :func:`install`; ``python -m
oxignite.accelerate -m package.module [args...]`` does the same for a module, like
``python -m``. In code, call :func:`install` before anything imports ignite.

How it works. :func:`install` puts an import hook (a ``sys.meta_path`` finder) in front of
the import system. When ignite's package is imported, the hook serves two of its modules
from oxignite:

- ``ignite.engine.engine`` is :mod:`oxignite.engine.engine` (``Engine``);
- ``ignite.engine.events`` is :mod:`oxignite.engine.events` (``Events``, ``EventEnum``,
  ``State``, ``CallableEventWithFilter``, ``EventsList``, ``RemovableEventHandle``).

Everything else is pytorch-ignite's own code, unchanged: ``ignite.engine``'s package
(``create_supervised_trainer``, ``DeterministicEngine``, ...), ``ignite.handlers``,
``ignite.metrics``, ``ignite.contrib``, ``ignite.distributed`` and any third-party extension.
They import ``Engine`` and ``Events`` from those two modules, so they get oxignite's: every
engine they create runs its loop, filters and dispatch in the Rust core, ``isinstance(x,
ignite.engine.Engine)`` holds for it, and ignite's ``EventEnum`` subclasses
(``CheckpointEvents``, ``Tbptt_Events``, a project's own) are oxignite ``EventEnum``\\ s that
register and fire. The engine's logger keeps ignite's name (``ignite.engine.engine.Engine``)
so that logging set up for ignite still applies.

Limits, plainly:

- It must be installed before ``ignite`` is imported; :func:`install` raises RuntimeError
  if ignite's own engine is already loaded (a process holds one ``Engine`` class).
  Processes started with ``spawn`` (not ``fork``) do not inherit it: call :func:`install`
  in them.
- The engine is oxignite's: where it differs from ignite on purpose (see the README's "How
  the engine differs from ignite"), the accelerated project sees oxignite's behaviour.
  Code that reaches into ignite's engine internals that oxignite does not provide (for
  example ``_internal_run_as_gen`` or ``_run_once_on_dataset_legacy``) fails with
  AttributeError.
- ``ignite.engine.engine.__name__`` is ``"oxignite.engine.engine"`` (the module is
  oxignite's, not a copy), so patching ``ignite.engine.engine.X`` patches oxignite.
- Only ``import`` is redirected: a file loaded by path (``importlib.util.
  spec_from_file_location`` on ignite's ``engine.py``) is ignite's code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

__all__ = ["install", "is_installed", "uninstall"]

# ignite's module -> the oxignite module that serves it.
REDIRECTS = {
    "ignite.engine.engine": "oxignite.engine.engine",
    "ignite.engine.events": "oxignite.engine.events",
}


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
        # The import system stamped the ignite spec on the module; oxignite's module keeps
        # its own (importlib.reload and tools that read __spec__ need the real one).
        module.__spec__ = self._spec


class _RedirectFinder(importlib.abc.MetaPathFinder):
    """The ``sys.meta_path`` entry that :func:`install` adds."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        redirect = REDIRECTS.get(fullname)
        if redirect is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _RedirectLoader(redirect))


_FINDER = _RedirectFinder()
_saved_logger_for: Any = None


def is_installed() -> bool:
    """Whether :func:`install` is in effect in this process."""
    return _FINDER in sys.meta_path


def _ignite_logger_for(cls: type) -> Any:
    """The engine's logger under ignite's name, ``ignite.engine.engine.<class name>``."""
    import logging

    return logging.getLogger(f"ignite.engine.engine.{cls.__name__}")


def install() -> None:
    """Serves ``ignite.engine.engine`` and ``ignite.engine.events`` from oxignite from now on.

    Call it before anything imports ignite; calling it again is a no-op.

    Raises:
        ModuleNotFoundError: if pytorch-ignite is not installed.
        RuntimeError: if ignite's own engine was imported already.

    Examples:
        >>> import oxignite.accelerate
        >>> oxignite.accelerate.install()  # doctest: +SKIP
        >>> from ignite.engine import Engine  # doctest: +SKIP
        >>> Engine.__module__  # doctest: +SKIP
        'oxignite.engine.engine'
    """
    global _saved_logger_for
    if is_installed():
        return
    if importlib.util.find_spec("ignite") is None:
        raise ModuleNotFoundError(
            "oxignite.accelerate runs pytorch-ignite projects, but pytorch-ignite is not "
            "installed (pip install pytorch-ignite)",
            name="ignite",
        )
    for name, target in REDIRECTS.items():
        module = sys.modules.get(name)
        if module is not None and module.__name__ != target:
            raise RuntimeError(
                f"oxignite.accelerate.install() must run before ignite is imported: {name} "
                "is already loaded with ignite's own engine"
            )
    import oxignite.engine.engine as engine_module

    # Engine loggers under ignite's names; engines created before keep theirs. (The engine
    # module names its loggers through this one function; tests check the names.)
    _saved_logger_for = getattr(engine_module, "_logger_for", None)
    if _saved_logger_for is not None:
        engine_module._logger_for = _ignite_logger_for
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undoes :func:`install`: removes the hook and forgets every ``ignite`` module imported.

    The next ``import ignite`` loads pytorch-ignite with its own engine. Objects created
    before (engines, handlers, ignite classes held by other modules) keep running on
    oxignite's engine.
    """
    global _saved_logger_for
    if not is_installed():
        return
    sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "ignite" or n.startswith("ignite.")]:
        del sys.modules[name]
    if _saved_logger_for is not None:
        import oxignite.engine.engine as engine_module

        engine_module._logger_for = _saved_logger_for
        _saved_logger_for = None
