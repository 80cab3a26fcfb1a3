"""Exceptions shared by oxignite's metrics and handlers."""

__all__ = ["NotComputableError"]


class NotComputableError(RuntimeError):
    """Raised when a metric cannot be computed yet (for example, before any ``update``).

    Example::

        from oxignite.metrics import Accuracy
        from oxignite.exceptions import NotComputableError

        try:
            Accuracy().compute()
        except NotComputableError as e:
            print(e)
    """
