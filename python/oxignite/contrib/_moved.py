"""The DeprecationWarning ignite gives when a module under ``contrib`` is imported from its
old path (the names themselves are re-exported unchanged)."""

from __future__ import annotations

import warnings

_REMOVED_IN = "0.6.0"


def warn_moved(old_file: str, new_path: str) -> None:
    """Warn, as ignite does, that the module ``old_file`` has moved to ``new_path``.

    ``stacklevel=3`` points at the ``import`` statement of the user's module.
    """
    warnings.warn(
        f"{old_file} has been moved to {new_path}"
        f" and will be removed in version {_REMOVED_IN}"
        ".\n Please refer to the documentation for more details.",
        DeprecationWarning,
        stacklevel=3,
    )
