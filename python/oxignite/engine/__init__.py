"""oxignite.engine: ignite's Engine and events on a native core.

``create_supervised_trainer`` / ``create_supervised_evaluator`` and the supervised step
functions live in :mod:`oxignite.engine.supervised`, which needs torch; they are imported
on first use so that ``import oxignite.engine`` never imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from oxignite.engine.engine import Engine
from oxignite.engine.events import (
    CallableEventWithFilter,
    EventEnum,
    Events,
    EventsList,
    RemovableEventHandle,
    State,
)

_SUPERVISED = (
    "create_supervised_trainer",
    "create_supervised_evaluator",
    "supervised_training_step",
    "supervised_training_step_amp",
    "supervised_evaluation_step",
    "supervised_evaluation_step_amp",
    "supervised_training_step_apex",
    "supervised_training_step_tpu",
    "_prepare_batch",
    "_check_arg",
)

_DETERMINISTIC = ("DeterministicEngine",)

__all__ = [  # noqa: PLE0604 - the supervised names are resolved lazily by __getattr__
    "CallableEventWithFilter",
    "Engine",
    "EventEnum",
    "Events",
    "EventsList",
    "RemovableEventHandle",
    "State",
    *[name for name in _SUPERVISED if not name.startswith("_")],
    *_DETERMINISTIC,
]


def __getattr__(name: str) -> Any:
    if name in _SUPERVISED:
        return getattr(importlib.import_module("oxignite.engine.supervised"), name)
    if name in _DETERMINISTIC:  # needs torch: imported on first use
        return getattr(importlib.import_module("oxignite.engine.deterministic"), name)
    raise AttributeError(f"module 'oxignite.engine' has no attribute {name!r}")
