"""Collective operations (all_reduce, all_gather, broadcast, barrier) and rank helpers.

Each collective works on tensors, Python numbers and (for gather/broadcast) strings or other
picklable objects, and is a no-op answering for one process when not distributed. In a
distributed run every rank must make the same calls in the same order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from numbers import Number
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from oxignite.distributed import comp
from oxignite.distributed.comp import (  # noqa: F401 - ignite.distributed.utils has them too
    has_hvd_support,
    has_native_dist_support,
    has_xla_support,
    sync,
)
from oxignite.distributed.comp_models.base import _SerialModel
from oxignite.utils import setup_logger  # ignite.distributed.utils re-exports it too

__all__ = [
    "all_gather",
    "all_gather_tensors_with_shapes",
    "all_reduce",
    "barrier",
    "broadcast",
    "new_group",
    "one_rank_first",
    "one_rank_only",
    "setup_logger",
    "show_config",
    "sync",
]

_REDUCE_OPS = ("SUM", "PRODUCT", "MIN", "MAX", "AND", "OR")
# Most dimensions a gathered tensor may have (its shape travels in a fixed-size tensor).
_MAX_NDIM = 16


def _reduce_op(op: str) -> Any:
    name = op.upper() if isinstance(op, str) else op
    if name not in _REDUCE_OPS:
        raise ValueError(f"Unsupported reduction operation: {op!r}; use one of {_REDUCE_OPS}")
    return {
        "SUM": dist.ReduceOp.SUM,
        "PRODUCT": dist.ReduceOp.PRODUCT,
        "MIN": dist.ReduceOp.MIN,
        "MAX": dist.ReduceOp.MAX,
        "AND": dist.ReduceOp.BAND,
        "OR": dist.ReduceOp.BOR,
    }[name]


def _comm_device() -> torch.device:
    # NCCL only moves CUDA tensors; gloo works on CPU ones.
    return comp.device() if comp.backend() == comp.NCCL else torch.device("cpu")


def _is_rank_list(group: Any) -> bool:
    return isinstance(group, list) and all(isinstance(r, int) for r in group)


def _group(group: Any) -> Any:
    """A collective's ``group`` argument as a process group: None (the default group), a
    list of ranks (a new group of them; every rank must pass the same list) or a group."""
    if group is None:
        return None
    if _is_rank_list(group):
        return new_group(group)
    if not (isinstance(group, dist.ProcessGroup) or group == dist.GroupMember.NON_GROUP_MEMBER):
        raise ValueError(
            f"Argument group should be list of int or ProcessGroup, got {type(group)}, "
            f"group={group}"
        )
    return group


def _not_member(group: Any) -> bool:
    return group is not None and dist._rank_not_in_group(group)


def _rank_not_in_group(group: Any) -> bool:
    """Whether this process is outside ``group`` (None, a list of ranks or a process group);
    False when not distributed."""
    if group is None or not comp.is_distributed():
        return False
    return _not_member(_group(group))


# ignite keeps the current computation model in ``utils._model`` and swaps it with
# ``_set_model``; oxignite reads the context from torch.distributed on every call, so
# ``_model`` is a view of that context, built when read (module __getattr__).
_native_view: Any = None


def __getattr__(name: str) -> Any:
    if name == "_model":
        return _current_model()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _current_model() -> Any:
    """The computation model of this process now: a ``_NativeDistModel`` in a
    torch.distributed run (one per process group), else a ``_SerialModel``."""
    global _native_view
    if not comp.is_distributed():
        return _SerialModel()
    if _native_view is None or _native_view[0] is not dist.group.WORLD:
        from oxignite.distributed.comp_models.native import _NativeDistModel

        _native_view = (dist.group.WORLD, _NativeDistModel())
    return _native_view[1]


def _set_model(model: Any, temporary: bool = False) -> None:
    """ignite's hook to replace the computation model. oxignite's model is always the one
    of torch.distributed's current context, so only ignite's reset (``_set_model(
    _SerialModel())``, which re-reads the context on the next call) is accepted: it forgets
    the cached node layout."""
    if not isinstance(model, _SerialModel):
        raise TypeError(
            "Argument model should be a _SerialModel: oxignite reads the computation model "
            f"from torch.distributed and can not be given another one, got {type(model)}"
        )
    global _native_view
    _native_view = None
    sync(temporary=temporary)


def _group_size(group: Any) -> int:
    return dist.get_world_size(group) if group is not None else dist.get_world_size()


def all_reduce(
    tensor: torch.Tensor | float, op: str = "SUM", group: Any = None
) -> torch.Tensor | float:
    """Reduce a tensor or number over all processes; every process gets the result.

    ``op`` is one of "SUM" (default), "PRODUCT", "MIN", "MAX", "AND", "OR". A tensor is reduced
    in place and returned (on its own device); a number gives a number back.

    Example::

        correct = idist.all_reduce(torch.tensor(12))  # summed over ranks
        worst = idist.all_reduce(0.25, op="MAX")
    """
    reduce_op = _reduce_op(op)
    if not isinstance(tensor, (torch.Tensor, Number)):
        raise TypeError(f"Unhandled input type {type(tensor)}")
    if not comp.is_distributed():
        return tensor
    group = _group(group)
    if _not_member(group):
        return tensor
    device = _comm_device()
    if isinstance(tensor, torch.Tensor):
        work = tensor if tensor.device == device else tensor.to(device)
        dist.all_reduce(work, reduce_op, group=group)
        if work is not tensor:
            # Keep the in-place contract of torch.distributed for callers holding the tensor.
            tensor.copy_(work.to(tensor.device))
        return tensor
    dtype = torch.float64 if isinstance(tensor, float) else None
    work = torch.tensor(tensor, dtype=dtype, device=device)
    dist.all_reduce(work, reduce_op, group=group)
    return work.item()


def _gather_tensor(tensor: torch.Tensor, group: Any) -> torch.Tensor:
    device = _comm_device()
    work = tensor.to(device)
    if work.ndim == 0:
        work = work.unsqueeze(0)
    if work.ndim > _MAX_NDIM:
        raise ValueError(f"all_gather supports up to {_MAX_NDIM} dimensions, got {work.ndim}")
    size = _group_size(group)
    # Exchange shapes first: ranks may hold different numbers of rows (uneven shards).
    shape = torch.full((_MAX_NDIM + 1,), -1, dtype=torch.long, device=device)
    shape[0] = work.ndim
    shape[1 : work.ndim + 1] = torch.tensor(work.shape, dtype=torch.long)
    shapes = [torch.empty_like(shape) for _ in range(size)]
    dist.all_gather(shapes, shape, group=group)
    shapes_l = [s.tolist() for s in shapes]
    dims = [s[1 : s[0] + 1] for s in shapes_l]
    if any(d[1:] != dims[0][1:] or len(d) != len(dims[0]) for d in dims):
        raise ValueError(
            f"all_gather needs tensors that differ at most in their first dimension, got {dims}"
        )
    rows = [d[0] for d in dims]
    max_rows = max(rows)
    if work.shape[0] < max_rows:
        pad = work.new_zeros((max_rows - work.shape[0],) + tuple(work.shape[1:]))
        work = torch.cat([work, pad], dim=0)
    out = [torch.empty_like(work) for _ in range(size)]
    dist.all_gather(out, work.contiguous(), group=group)
    result = torch.cat([o[:n] for o, n in zip(out, rows)], dim=0)
    return result.to(tensor.device)


def all_gather(tensor: Any, group: Any = None) -> Any:
    """Gather a tensor, number, string or any picklable object from every process.

    - tensor: concatenated along the first dimension in rank order, shape
      ``(sum of first dims, ...)`` (a 0-dim tensor counts as one row). Unlike
      ``torch.distributed.all_gather`` the first dimension may differ between ranks, as it does
      with the unpadded evaluation sampler of :func:`auto_dataloader`.
    - number: a list of ``world_size`` numbers; string or other object: a list of them.

    When not distributed a tensor is returned as is and anything else as a one-item list.

    Example::

        preds = idist.all_gather(local_preds)        # all predictions, rank order
        names = idist.all_gather(idist.hostname())   # ["host-a", "host-a"]
    """
    if not comp.is_distributed():
        return tensor if isinstance(tensor, torch.Tensor) else [tensor]
    group = _group(group)
    if _not_member(group):
        return tensor
    if isinstance(tensor, torch.Tensor):
        return _gather_tensor(tensor, group)
    if isinstance(tensor, Number) and not isinstance(tensor, bool):
        dtype = torch.float64 if isinstance(tensor, float) else None
        values = _gather_tensor(torch.tensor([tensor], dtype=dtype), group)
        return values.tolist()
    return _gather_objects(tensor, group)


def _gather_objects(obj: Any, group: Any) -> list:
    # Pickled gather: one item per rank of ``group`` (None: the default group).
    out: list[Any] = [None] * _group_size(group)
    dist.all_gather_object(out, obj, group=group)
    return out


def all_gather_tensors_with_shapes(
    tensor: torch.Tensor, shapes: Sequence[Sequence[int]], group: Any = None
) -> list[torch.Tensor]:
    """Gather tensors of possibly different shapes (same number of dimensions) as a list.

    ``shapes`` lists every rank's tensor shape, in rank order.

    Example::

        t = torch.ones(idist.get_rank() + 1, 3)
        parts = idist.all_gather_tensors_with_shapes(t, [[r + 1, 3] for r in range(ws)])
    """
    if not comp.is_distributed():
        return [tensor]
    group = _group(group)
    if _not_member(group):
        return [tensor]
    max_shape = [max(s[d] for s in shapes) for d in range(len(shapes[0]))]
    pads: list[int] = []
    for dim in reversed(range(tensor.ndim)):
        pads += [0, max_shape[dim] - tensor.shape[dim]]
    padded = torch.nn.functional.pad(tensor, pads)
    gathered = _gather_tensor(padded, group).reshape([len(shapes)] + max_shape)
    return [gathered[(r,) + tuple(slice(0, n) for n in shape)] for r, shape in enumerate(shapes)]


def broadcast(tensor: Any, src: int = 0, safe_mode: bool = False) -> Any:
    """Send ``tensor`` (tensor, number, str, Path or, with safe_mode, anything) from rank ``src``.

    Without ``safe_mode`` every rank passes a value of the same kind (for tensors: same shape and
    dtype) as a placeholder. With ``safe_mode=True`` non-source ranks may pass ``None`` or
    anything; the value is pickled, which costs an extra step.

    Example::

        seed = idist.broadcast(random.randint(0, 9999) if idist.get_rank() == 0 else 0, src=0)
        path = idist.broadcast(out_dir if idist.get_rank() == 0 else None, safe_mode=True)
    """
    rank = comp.get_rank()
    if tensor is None:
        if rank == src:
            raise ValueError("Source data can not be None")
        if not safe_mode:
            raise ValueError("Argument safe_mode should be True if None is passed for non src rank")
    if not safe_mode and not isinstance(tensor, (torch.Tensor, Number, str, Path)):
        raise TypeError(f"Unhandled input type {type(tensor)}")
    if not comp.is_distributed():
        return tensor
    device = _comm_device()
    if isinstance(tensor, torch.Tensor) and not safe_mode:
        work = tensor if tensor.device == device else tensor.to(device)
        dist.broadcast(work, src=src)
        if work is not tensor:
            tensor.copy_(work.to(tensor.device))
        return tensor
    if isinstance(tensor, Number) and not isinstance(tensor, bool) and not safe_mode:
        # float64 on every rank: the placeholder's type may differ from the source's.
        work = torch.tensor([float(tensor)], dtype=torch.float64, device=device)
        dist.broadcast(work, src=src)
        value = work.item()
        return int(value) if isinstance(tensor, int) else value
    box = [tensor if rank == src else None]
    dist.broadcast_object_list(box, src=src, device=device)
    value = box[0]
    if rank != src and isinstance(value, torch.Tensor):
        # The placeholder may be anything (None, a string...) in safe mode: the received
        # tensor goes to this process's device, as ignite's does.
        value = value.to(comp.device())
    return value


def barrier() -> None:
    """Wait until every process reaches this point (no-op when not distributed).

    Example::

        if idist.get_rank() == 0:
            prepare_data()
        idist.barrier()
    """
    if not comp.is_distributed():
        return
    if comp.backend() == comp.NCCL:
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


def new_group(ranks: list[int], **kwargs: Any) -> Any:
    """Create a process group of the given ranks (every rank must call it).

    When not distributed the list of ranks is returned.

    Example::

        pair = idist.new_group([0, 1])
        idist.all_reduce(t, group=pair)
    """
    if not (isinstance(ranks, list) and all(isinstance(r, int) for r in ranks)):
        raise ValueError("Argument ranks should be list of int")
    if not comp.is_distributed():
        return ranks
    return dist.new_group(ranks=ranks, **kwargs)


def one_rank_only(rank: int = 0, with_barrier: bool = False) -> Callable:
    """Decorator: run the function on process ``rank`` only (others get None).

    With ``with_barrier=True`` every process waits for the others after the call.

    Example::

        @trainer.on(Events.EPOCH_COMPLETED)
        @idist.one_rank_only()
        def log(engine):
            print(engine.state.metrics)
    """

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = None
            if comp.get_rank() == rank:
                result = func(*args, **kwargs)
            if with_barrier:
                barrier()
            return result

        return wrapper

    return decorator


@contextmanager
def one_rank_first(rank: int = 0, local: bool = False) -> Iterator[None]:
    """Context manager: process ``rank`` runs the block first, the others after it.

    With ``local=True`` ``rank`` is a local rank and ordering is per machine.

    Example::

        with idist.one_rank_first():
            dataset = download_dataset()  # downloaded once, then read by the others
    """
    current = comp.get_local_rank() if local else comp.get_rank()
    size = comp.get_nproc_per_node() if local else comp.get_world_size()
    if not 0 <= rank < size:
        raise ValueError(f"rank should be between 0 and {size - 1}, but given {rank}")
    if current != rank:
        barrier()
    yield
    if current == rank:
        barrier()


def show_config(logger: logging.Logger | None = None) -> None:
    """Log the distributed configuration of this process at INFO level.

    Example::

        idist.show_config()  # distributed configuration: serial, backend: None, ...
    """
    logger = logger or setup_logger(__name__)
    logger.info(f"distributed configuration: {comp.model_name()}")
    logger.info(f"backend: {comp.backend()}")
    logger.info(f"device: {comp.device().type}")
    logger.info(f"hostname: {comp.hostname()}")
    logger.info(f"world size: {comp.get_world_size()}")
    logger.info(f"rank: {comp.get_rank()}")
    logger.info(f"local rank: {comp.get_local_rank()}")
    logger.info(f"num processes per_node: {comp.get_nproc_per_node()}")
    logger.info(f"num nodes: {comp.get_nnodes()}")
    logger.info(f"node rank: {comp.get_node_rank()}")
