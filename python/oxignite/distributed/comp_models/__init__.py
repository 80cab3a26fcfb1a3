"""ignite's ``distributed.comp_models`` import path, as far as it applies here.

oxignite's distributed layer is torch.distributed only and is written as functions
(:mod:`oxignite.distributed.comp`), not as ignite's computation-model classes; what this
package offers is the support flags ignite's modules expose, re-exported from there.
ignite's ``ComputationModel`` / ``_SerialModel`` / ``_NativeDistModel`` classes do not exist.

Example::

    from oxignite.distributed.comp_models import has_native_dist_support
"""

from oxignite.distributed.comp import (
    has_hvd_support,
    has_native_dist_support,
    has_xla_support,
)
from oxignite.distributed.comp_models import horovod, native, xla  # noqa: F401 - as ignite

__all__ = ["has_hvd_support", "has_native_dist_support", "has_xla_support"]
