"""oxignite: pytorch-ignite's training-loop engine, with its event system and run loop in Rust.

Switch by changing ``ignite`` to ``oxignite`` in imports. ``import oxignite`` does not
import torch; ``oxignite.handlers``, ``oxignite.metrics`` and ``oxignite.distributed`` do,
and are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from oxignite._core import __version__
from oxignite.engine import Engine, Events, State

__all__ = ["Engine", "Events", "State", "__version__"]

_SUBMODULES = (
    "handlers",
    "metrics",
    "distributed",
    "engine",
    "exceptions",
    "examples",
    "utils",
    "contrib",
    "natives",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"oxignite.{name}")
    raise AttributeError(f"module 'oxignite' has no attribute {name!r}")
