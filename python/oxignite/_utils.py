"""Old import path kept by ignite for compatibility (``ignite._utils``): the tensor helpers
of :mod:`oxignite.utils` under their former module name."""

from oxignite.utils import apply_to_tensor, apply_to_type, convert_tensor, to_onehot

__all__ = ["apply_to_tensor", "apply_to_type", "convert_tensor", "to_onehot"]
