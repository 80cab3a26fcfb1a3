"""ignite's ``distributed.comp_models.base``: the ``ComputationModel`` interface and
``_SerialModel``, the single-process model.

``ComputationModel`` is the base for a custom distributed model: a subclass implements the
context queries (rank, world size, device...) and the tensor primitives (``_do_all_reduce``,
``_do_all_gather``, ``_do_broadcast``...), and inherits ``all_reduce`` / ``all_gather`` /
``broadcast`` / ``new_group`` that also take Python numbers, strings and paths, as in ignite.

Example::

    from oxignite.distributed.comp_models.base import _SerialModel

    model = _SerialModel()
    model.all_gather(3.0)  # [3.0]
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from numbers import Number
from pathlib import Path
from typing import Any

import torch

from oxignite.distributed import comp

__all__ = ["ComputationModel", "_SerialModel"]

# ignite's flag for torch > 1.12 (MPS support); oxignite needs torch >= 2.1, so always true.
_torch_version_gt_112 = True

# Safe-mode broadcast tells non-source ranks what the source sends in a fixed-size descriptor:
# [kind, dtype index, ndim, *shape], padded with -1 (the reduction is a MAX over ranks).
_TENSOR, _NUMBER, _STR, _PATH = range(4)
_MAX_NDIM = 32
# Every dtype of this torch build, in a stable order: ranks agree on an index, not a name.
_DTYPES = tuple(sorted({v for v in vars(torch).values() if isinstance(v, torch.dtype)}, key=str))


def _encode_str(text: str, size: int, device: torch.device) -> torch.Tensor:
    # One row of ``size`` UTF-8 bytes (zero padded), then the byte count.
    data = text.encode("utf-8")
    row = torch.zeros(1, size + 1, dtype=torch.long)
    row[0, : len(data)] = torch.tensor(list(data), dtype=torch.long)
    row[0, -1] = len(data)
    return row.to(device)


def _decode_str(rows: torch.Tensor) -> list[str]:
    return [bytes(row[: int(row[-1])].tolist()).decode("utf-8") for row in rows.cpu()]


class ComputationModel(metaclass=ABCMeta):
    """Interface of a distributed computation model (ignite's public base class).

    Example::

        class MyModel(ComputationModel):
            def get_rank(self): ...
            def _do_all_reduce(self, tensor, op="SUM", group=None): ...
            # ... every abstract method
    """

    # The local rank hinted by the user (idist.set_local_rank), read when LOCAL_RANK is unset.
    _ext_local_rank: int | None = None
    # Set by a subclass whose primitives need another dtype than that of integer inputs.
    _collective_op_dtype: Any = None

    def __init__(self) -> None:
        self._backend: str | None = None
        self._nproc_per_node: int | None = None
        self._nnodes: int | None = None
        self._node: int | None = None

    def _setup_attrs(self) -> None:
        # Node layout, once the context queries work (ignite's helper for subclasses).
        if self._nproc_per_node is None:
            self._nproc_per_node = (
                self._compute_nproc_per_node() if self.get_world_size() > 1 else 1
            )
        if self._nnodes is None:
            self._nnodes = self.get_world_size() // self._nproc_per_node
        if self._node is None:
            self._node = self.get_rank() // self._nproc_per_node

    # Context queries.

    @abstractmethod
    def _compute_nproc_per_node(self) -> int: ...

    @abstractmethod
    def get_local_rank(self) -> int: ...

    @abstractmethod
    def get_rank(self) -> int: ...

    @abstractmethod
    def get_world_size(self) -> int: ...

    @abstractmethod
    def get_nproc_per_node(self) -> int: ...

    @abstractmethod
    def get_nnodes(self) -> int: ...

    @abstractmethod
    def get_node_rank(self) -> int: ...

    @abstractmethod
    def device(self) -> torch.device: ...

    @abstractmethod
    def backend(self) -> str | None: ...

    @abstractmethod
    def finalize(self) -> None: ...

    @staticmethod
    @abstractmethod
    def create_from_context() -> ComputationModel | None: ...

    @staticmethod
    @abstractmethod
    def create_from_backend(backend: str, **kwargs: Any) -> ComputationModel: ...

    @staticmethod
    @abstractmethod
    def spawn(*args: Any, **kwargs: Any) -> None: ...

    # Tensor primitives a subclass provides.

    @abstractmethod
    def _do_all_reduce(
        self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor: ...

    @abstractmethod
    def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor: ...

    @abstractmethod
    def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]: ...

    @abstractmethod
    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor: ...

    @abstractmethod
    def barrier(self) -> None: ...

    @abstractmethod
    def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any: ...

    @abstractmethod
    def _rank_not_in_group(self, group: Any) -> bool: ...

    # Collectives on tensors, numbers and strings, built on the primitives.

    def all_reduce(
        self, tensor: torch.Tensor | float, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor | float:
        """Reduce a tensor or number over all ranks (``op``: SUM, PRODUCT, MIN, MAX, AND, OR)."""
        if not isinstance(tensor, (torch.Tensor, Number)):
            raise TypeError(f"Unhandled input type {type(tensor)}")
        return self._collective(tensor, self._do_all_reduce, op, group=group)

    def all_gather(self, tensor: Any, group: Any | None = None) -> Any:
        """Gather a tensor (concatenated on dim 0), a number or string (a list), or an object."""
        if not isinstance(tensor, (torch.Tensor, Number, str)):
            return self._do_all_gather_object(tensor, group=group)
        return self._collective(tensor, self._do_all_gather, group=group)

    def new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        """Process group of the given ranks."""
        if not (isinstance(ranks, list) and all(isinstance(r, int) for r in ranks)):
            raise ValueError("Argument ranks should be list of int")
        return self._do_new_group(ranks, **kwargs)

    def broadcast(self, tensor: Any, src: int = 0, safe_mode: bool = False) -> Any:
        """Send a tensor, number, str or Path from rank ``src``; with ``safe_mode`` other ranks
        may pass None and get a value of the source's kind (and shape, for a tensor)."""
        if not (tensor is None or isinstance(tensor, (torch.Tensor, Number, str, Path))):
            raise TypeError(f"Unhandled input type {type(tensor)}")
        is_src = self.get_rank() == src
        if tensor is None:
            if is_src:
                raise ValueError("Source data can not be None")
            if not safe_mode:
                raise ValueError(
                    "Argument safe_mode should be True if None is passed for non src rank"
                )
        device = self.device()
        if safe_mode:
            tensor = self._placeholder(tensor if is_src else None, device)
        if isinstance(tensor, torch.Tensor):
            return self._run_op(tensor, device, self._do_broadcast, src)
        if isinstance(tensor, (str, Path)):
            text = str(tensor)
            size = self._max_length(text, device)
            if is_src:
                work = _encode_str(text, size, device)
            else:
                work = torch.empty(1, size + 1, dtype=torch.long, device=device)
            out = _decode_str(self._run_op(work, device, self._do_broadcast, src))[0]
            return Path(out) if isinstance(tensor, Path) else out
        # A number travels as float64 whatever each rank passed as its placeholder.
        work = torch.tensor([float(tensor) if is_src else 0.0], dtype=torch.float64, device=device)
        return self._run_op(work, device, self._do_broadcast, src).item()

    def _run_op(
        self, tensor: torch.Tensor, device: torch.device, fn: Callable, *args: Any, **kwargs: Any
    ) -> torch.Tensor:
        # Run a primitive on ``device``; the result comes back with the input's device and dtype.
        home_device, home_dtype = tensor.device, tensor.dtype
        work = tensor.to(device)
        if self._collective_op_dtype is not None and work.dtype not in (
            torch.float32,
            torch.float64,
        ):
            work = work.to(self._collective_op_dtype)
        return fn(work, *args, **kwargs).to(device=home_device, dtype=home_dtype)

    def _collective(self, value: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        device = self.device()
        if isinstance(value, torch.Tensor):
            return self._run_op(value, device, fn, *args, **kwargs)
        if isinstance(value, str):
            size = self._max_length(value, device)
            return _decode_str(
                self._run_op(_encode_str(value, size, device), device, fn, *args, **kwargs)
            )
        dtype = self._collective_op_dtype
        if dtype is None and isinstance(value, float):
            dtype = torch.float64
        return self._run_op(torch.tensor(value, dtype=dtype), device, fn, *args, **kwargs).tolist()

    def _max_length(self, text: str, device: torch.device) -> int:
        # Longest UTF-8 byte length over ranks: every rank pads its string to it.
        size = torch.tensor([len(text.encode("utf-8"))])
        return int(self._run_op(size, device, self._do_all_reduce, "MAX").item())

    _get_max_length = _max_length  # ignite's name

    # ignite's helpers under its names (its tests call them): a string as one row of UTF-8
    # bytes and its length, and the safe-mode placeholder of a non-source rank.
    @staticmethod
    def _encode_str(x: str, device: torch.device, size: int) -> torch.Tensor:
        return _encode_str(x, size, device)

    @staticmethod
    def _decode_str(xs: torch.Tensor) -> list[str]:
        return _decode_str(xs)

    def _setup_placeholder(self, x: Any, device: torch.device, is_src: bool) -> Any:
        return self._placeholder(x if is_src else None, device)

    def _placeholder(self, value: Any, device: torch.device) -> Any:
        # Safe-mode broadcast: the source describes its value, the others build a placeholder.
        desc = torch.full((3 + _MAX_NDIM,), -1, dtype=torch.long)
        if isinstance(value, torch.Tensor):
            if value.ndim > _MAX_NDIM:
                raise ValueError(f"broadcast supports up to {_MAX_NDIM} dimensions")
            desc[:3] = torch.tensor([_TENSOR, _DTYPES.index(value.dtype), value.ndim])
            desc[3 : 3 + value.ndim] = torch.tensor(value.shape, dtype=torch.long)
        elif isinstance(value, Number):
            desc[0] = _NUMBER
        elif isinstance(value, str):
            desc[0] = _STR
        elif isinstance(value, Path):
            desc[0] = _PATH
        desc = self._run_op(desc, device, self._do_all_reduce, "MAX").tolist()
        if value is not None:
            return value
        kind = desc[0]
        if kind == _TENSOR:
            shape = desc[3 : 3 + desc[2]]
            return torch.empty(shape, dtype=_DTYPES[desc[1]], device=device)
        return {_NUMBER: 0.0, _STR: "", _PATH: Path()}[kind]


class _SerialModel(ComputationModel):
    """The single-process model: rank 0 of 1, collectives give their input back.

    Example::

        _SerialModel().all_reduce(torch.tensor([1.0]))  # tensor([1.])
    """

    name = "serial"
    available_backends = ()

    def __init__(self, _backend: str | None = None, **kwargs: Any) -> None:
        super().__init__()

    def get_local_rank(self) -> int:
        return 0

    def get_rank(self) -> int:
        return 0

    def get_world_size(self) -> int:
        return 1

    def get_nproc_per_node(self) -> int:
        return 1

    def get_nnodes(self) -> int:
        return 1

    def get_node_rank(self) -> int:
        return 0

    def device(self) -> torch.device:
        return comp._serial_device()

    def backend(self) -> None:
        return None

    def finalize(self) -> None:
        pass

    def _compute_nproc_per_node(self) -> int:
        return 1

    @staticmethod
    def create_from_context() -> _SerialModel:
        return _SerialModel()

    @staticmethod
    def create_from_backend(backend: str | None = None, **kwargs: Any) -> _SerialModel:
        return _SerialModel()

    @staticmethod
    def spawn(*args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("Serial computation model does not implement spawn method")

    def all_reduce(
        self, tensor: torch.Tensor | float, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor | float:
        return tensor

    def all_gather(self, tensor: Any, group: Any | None = None) -> Any:
        return tensor if isinstance(tensor, torch.Tensor) else [tensor]

    def broadcast(self, tensor: Any, src: int = 0, safe_mode: bool = False) -> Any:
        if tensor is None:
            raise ValueError("Argument tensor should not be None")
        return tensor

    def _do_all_reduce(
        self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor:
        return tensor

    def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
        return tensor

    def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> Any:
        return tensor

    def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        return ranks

    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
        return tensor

    def barrier(self) -> None:
        pass

    def _rank_not_in_group(self, group: Any) -> bool:
        return False
