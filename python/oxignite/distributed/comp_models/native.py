"""ignite's ``distributed.comp_models.native``: its support flag (re-exported)."""

from oxignite.distributed.comp import has_native_dist_support

__all__ = ["has_native_dist_support"]
