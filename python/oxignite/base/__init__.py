"""Mixins shared by engines, metrics and handlers, at ``ignite.base``'s path."""

from oxignite.base.mixins import ResettableHandler, Serializable

__all__ = ["ResettableHandler", "Serializable"]
