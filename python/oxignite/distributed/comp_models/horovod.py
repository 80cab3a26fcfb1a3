"""ignite's ``distributed.comp_models.horovod``: its support flag (re-exported)."""

from oxignite.distributed.comp import has_hvd_support

__all__ = ["has_hvd_support"]
