"""ignite's ``distributed.comp_models.xla``: its support flag (re-exported)."""

from oxignite.distributed.comp import has_xla_support

__all__ = ["has_xla_support"]
