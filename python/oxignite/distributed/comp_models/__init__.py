"""ignite's ``distributed.comp_models``: the computation-model classes and support flags.

oxignite's distributed layer is torch.distributed only and is written as functions
(:mod:`oxignite.distributed.comp`, ``utils``, ``launcher``); the classes here are ignite's
object view of it: ``ComputationModel`` (base, in ``base``), ``_SerialModel`` and
``_NativeDistModel`` (in ``native``), whose methods call those functions. XLA and Horovod
are out of scope: their flags are False and they have no model.

Example::

    from oxignite.distributed.comp_models import registered_computation_models

    [m.name for m in registered_computation_models]  # ['serial', 'native-dist']
"""

from __future__ import annotations

from oxignite.distributed.comp import (
    has_hvd_support,
    has_native_dist_support,
    has_xla_support,
)
from oxignite.distributed.comp_models import base, horovod, native, xla  # noqa: F401 - as ignite
from oxignite.distributed.comp_models.base import ComputationModel, _SerialModel

__all__ = [
    "_SerialModel",
    "has_hvd_support",
    "has_native_dist_support",
    "has_xla_support",
    "registered_computation_models",
    "setup_available_computation_models",
]


def setup_available_computation_models() -> tuple[type[ComputationModel], ...]:
    """The computation models usable in this install: serial, then native-dist if present.

    Example::

        setup_available_computation_models()  # (_SerialModel, _NativeDistModel)
    """
    models: list[type[ComputationModel]] = [_SerialModel]
    if has_native_dist_support:
        models.append(native._NativeDistModel)
    return tuple(models)


registered_computation_models = setup_available_computation_models()
