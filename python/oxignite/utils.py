"""General helpers with ``ignite.utils``' names and behaviour: moving (nested) tensors to a
device, one-hot encoding, logger setup, seeding and checkpoint hashing.

torch is imported on first use, so ``import oxignite.utils`` alone stays cheap.

Example::

    from oxignite.utils import convert_tensor, manual_seed, setup_logger

    manual_seed(12)
    logger = setup_logger("trainer")
    batch = convert_tensor({"x": torch.ones(2), "ids": [torch.zeros(1)]}, device="cpu")
"""

from __future__ import annotations

import functools
import hashlib
import logging
import numbers
import random
import shutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # at run time module __getattr__ below loads it with torch
    from oxignite._onehot import to_onehot

__all__ = [
    "_to_str_list",
    "apply_to_tensor",
    "apply_to_type",
    "convert_tensor",
    "hash_checkpoint",
    "manual_seed",
    "setup_logger",
    "to_onehot",
]


def convert_tensor(x: Any, device: Any = None, non_blocking: bool = False) -> Any:
    """Move every tensor in ``x`` (a tensor, or nested mappings / sequences / namedtuples of
    them) to ``device``; with ``device=None`` tensors are returned as they are.

    Example::

        convert_tensor((torch.ones(2), {"y": torch.zeros(1)}), device="cpu")
    """

    def move(tensor: Any) -> Any:
        if device is None:
            return tensor
        return tensor.to(device=device, non_blocking=non_blocking)

    return apply_to_tensor(x, move)


def apply_to_tensor(x: Any, func: Callable) -> Any:
    """Apply ``func`` to every tensor in ``x`` (nested mappings / sequences allowed)."""
    import torch

    return apply_to_type(x, torch.Tensor, func)


def apply_to_type(x: Any, input_type: type | tuple, func: Callable) -> Any:
    """Apply ``func`` to every object of ``input_type`` in ``x``, rebuilding the containers
    around them with their own types. Strings and bytes are left alone; any other leaf
    raises TypeError.

    Example::

        apply_to_type({"a": 1, "b": [2, 3]}, int, lambda v: v * 10)  # {"a": 10, "b": [20, 30]}
    """
    if isinstance(x, input_type):
        return func(x)
    if isinstance(x, (str, bytes)):
        return x
    if isinstance(x, Mapping):
        return type(x)({k: apply_to_type(v, input_type, func) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a namedtuple takes positional fields
        return type(x)(*(apply_to_type(v, input_type, func) for v in x))
    if isinstance(x, Sequence):
        return type(x)([apply_to_type(v, input_type, func) for v in x])
    raise TypeError(f"x must contain {input_type}, dicts or lists; found {type(x)}")


def _tree_map(func: Callable, x: Any, key: int | str | None = None) -> Any:
    """Call ``func(leaf, key=...)`` on every leaf of nested mappings / sequences /
    namedtuples and rebuild the containers with the results. ``key`` is the leaf's dict
    key or list index (None inside a namedtuple). Strings and bytes are leaves.

    Example::

        _tree_map(lambda v, key: (key, v), {"a": [1, 2]})  # {"a": [(0, 1), (1, 2)]}
    """
    if isinstance(x, Mapping):
        return type(x)({k: _tree_map(func, v, key=k) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a namedtuple takes positional fields
        return type(x)(*(_tree_map(func, v) for v in x))
    if isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
        return type(x)([_tree_map(func, v, key=i) for i, v in enumerate(x)])
    return func(x, key=key)


def __getattr__(name: str) -> Any:
    # ``to_onehot`` must be TorchScript-compilable, so it lives in a module that imports
    # torch at the top; loading it on first access keeps ``import oxignite.utils`` torch-free.
    if name == "to_onehot":
        from oxignite._onehot import to_onehot

        globals()["to_onehot"] = to_onehot
        return to_onehot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "to_onehot"})


def setup_logger(
    name: str | None = "ignite",
    level: int = logging.INFO,
    stream: TextIO | None = None,
    format: str = "%(asctime)s %(name)s %(levelname)s: %(message)s",
    filepath: str | None = None,
    distributed_rank: int | None = None,
    reset: bool = False,
    encoding: str | None = "utf-8",
) -> logging.Logger:
    """Configure the logger ``name`` (level, format, a stream handler and optionally a file).

    An existing logger keeps its configuration unless ``reset=True``. On ranks other than 0
    (``distributed_rank``, by default this process's rank) the logger gets only a
    NullHandler, so parallel processes do not repeat every message. Named loggers stop
    propagating to their parents.

    Example::

        trainer.logger = setup_logger("trainer")
        setup_logger("my-logger", format="+++ %(name)s %(message)s", reset=True)
    """
    existed = name is None or name in logging.root.manager.loggerDict
    logger = logging.getLogger(name)

    if distributed_rank is None:
        from oxignite.distributed import get_rank

        distributed_rank = get_rank()

    if distributed_rank > 0 or reset:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
    if distributed_rank > 0:
        logger.addHandler(logging.NullHandler())

    if existed and not reset:
        return logger

    if distributed_rank == 0:
        logger.setLevel(level)
        formatter = logging.Formatter(format)
        handlers: list[logging.Handler] = [logging.StreamHandler(stream=stream)]
        if filepath is not None:
            handlers.append(logging.FileHandler(filepath, encoding=encoding))
        for handler in handlers:
            handler.setLevel(level)
            handler.setFormatter(formatter)
            logger.addHandler(handler)

    if name is not None:
        logger.propagate = False
    return logger


def manual_seed(seed: int) -> None:
    """Seed ``random``, torch (all devices) and, when importable, torch_xla and numpy.

    Example::

        manual_seed(12)
        a = torch.rand(2); manual_seed(12); assert torch.equal(a, torch.rand(2))
    """
    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import torch_xla.core.xla_model as xm
    except ImportError:
        pass
    else:
        xm.set_rng_state(seed)
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        np.random.seed(seed)


def deprecated(
    deprecated_in: str,
    removed_in: str = "",
    reasons: tuple[str, ...] = (),
    raise_exception: bool = False,
) -> Callable:
    """Decorator marking a function deprecated: calling it warns with DeprecationWarning (or
    raises it, with ``raise_exception=True``), and its docstring says so.

    Example::

        @deprecated("0.4.2", "0.6.0", ("use new_fn instead",))
        def old_fn(): ...
    """
    message = (
        f"This function has been deprecated since version {deprecated_in}"
        + (f" and will be removed in version {removed_in}" if removed_in else "")
        + ".\n Please refer to the documentation for more details."
    )

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if raise_exception:
                raise DeprecationWarning(message)
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        note = f".. deprecated:: {deprecated_in}" + ("\n\n\t" if reasons else "")
        note += "".join("\n\t- " + reason for reason in reasons)
        wrapper.__doc__ = f"**Deprecated function**.\n\n    {func.__doc__ or ''}{note}"
        return wrapper

    return decorator


def hash_checkpoint(checkpoint_path: str | Path, output_dir: str | Path) -> tuple[Path, str]:
    """Move ``checkpoint_path`` to ``output_dir/<stem>-<first 8 hex of sha256>.pt`` (the name
    ``torch.hub.load_state_dict_from_url(check_hash=True)`` expects) and return that path and
    the full sha256. A string ``output_dir`` is created if missing.

    Example::

        path, sha = hash_checkpoint("model.pt", "release/")  # release/model-1a2b3c4d.pt
    """
    checkpoint_path = Path(checkpoint_path)
    if not checkpoint_path.exists():
        raise FileNotFoundError(
            f"{checkpoint_path.name} does not exist in {checkpoint_path.parent}."
        )
    if isinstance(output_dir, str):
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)

    digest = hashlib.sha256()
    with checkpoint_path.open("rb") as f:
        for block in iter(lambda: f.read(4096), b""):
            digest.update(block)
    sha_hash = digest.hexdigest()

    hashed_path = output_dir / f"{checkpoint_path.stem}-{sha_hash[:8]}.pt"
    shutil.move(str(checkpoint_path), hashed_path)
    return hashed_path, sha_hash


def _format_number(value: Any, prefix: str = "") -> str:
    return f"{prefix}{value:.4f}"


def _to_str_list(data: Any) -> list[str]:
    """Flatten numbers, tensors, dicts and lists into short strings for log lines: numbers
    and 0-d tensors with 4 decimals, 1-d tensors as their first 10 values, other tensors as
    their shape, dict entries prefixed with ``key: ``.

    Example::

        _to_str_list({"loss": 0.5, "acc": torch.tensor([1.0, 0.0])})
        # ["loss: 0.5000", "acc: [1.0000, 0.0000]"]
    """
    import torch

    out: list[str] = []

    def fmt(item: Any, prefix: str = "") -> str | None:
        # Returns the text of a leaf; containers append their own lines to ``out``.
        if isinstance(item, numbers.Number):
            return _format_number(item, prefix)
        if torch.is_tensor(item):
            if item.dim() == 0:
                return _format_number(item.item(), prefix)
            if item.dim() == 1:
                shown = ", ".join(_format_number(v.item()) for v in item[:10])
                return f"{prefix}[{shown}{', ...' if item.size(0) > 10 else ''}]"
            return f"{prefix}Shape{list(item.shape)}"
        if isinstance(item, dict):
            for key, value in item.items():
                text = fmt(value, f"{key}: ")
                if text is not None:
                    out.append(text)
        elif isinstance(item, (list, tuple)):
            texts = [t for t in (fmt(v) for v in item) if t is not None]
            if texts:
                out.append(prefix + ", ".join(texts))
            elif not item and prefix:
                out.append(prefix)
        elif item is None and prefix:
            out.append(prefix)
        return None

    if isinstance(data, numbers.Number):
        return [_format_number(data)]
    fmt(data)
    return out
