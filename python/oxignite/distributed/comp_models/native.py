"""ignite's ``distributed.comp_models.native``: ``_NativeDistModel``, the torch.distributed
computation model, and its support flag.

The class is a thin object view of oxignite's distributed functions: each method calls the
matching function of :mod:`oxignite.distributed.comp`, ``utils`` or ``launcher``, so it
answers exactly as ``idist.get_rank()``, ``idist.all_gather(...)``... do. Differences with
ignite: ``available_backends`` lists the backends usable here (NCCL only with CUDA, no MPI);
SLURM jobs are read by :mod:`oxignite.distributed.slurm` (``_expand_hostlist`` and
``_setup_ddp_vars_from_slurm_env`` are its functions under ignite's names); ``all_gather``
also takes tensors whose first dimension differs
between ranks.

Example::

    import torch.distributed as dist
    from oxignite.distributed.comp_models.native import _NativeDistModel

    dist.init_process_group("gloo", ...)
    model = _NativeDistModel.create_from_context()
    model.all_reduce(model.get_rank())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from oxignite.distributed import comp, launcher, utils
from oxignite.distributed.comp import has_native_dist_support
from oxignite.distributed.comp_models.base import ComputationModel
from oxignite.distributed.slurm import ddp_vars_from_slurm_env as _setup_ddp_vars_from_slurm_env
from oxignite.distributed.slurm import expand_hostlist as _expand_hostlist

__all__ = [
    "GLOO",
    "MPI",
    "NCCL",
    "_NativeDistModel",
    "_expand_hostlist",
    "_setup_ddp_vars_from_slurm_env",
    "has_native_dist_support",
]

GLOO = comp.GLOO
NCCL = comp.NCCL
MPI = "mpi"  # ignite's name for it; not a backend oxignite starts


class _UsableBackends:
    # Read when asked: whether NCCL is usable depends on CUDA, not worth probing at import.
    def __get__(self, obj: object, owner: type) -> tuple:
        return comp.available_backends()


class _NativeDistModel(ComputationModel):
    """torch.distributed computation model (gloo, nccl).

    Build it with :meth:`create_from_backend` (creates the default process group) or
    :meth:`create_from_context` (reads one created elsewhere).

    Example::

        model = _NativeDistModel.create_from_backend("gloo")  # env:// variables or defaults
        model.get_world_size()
        model.finalize()
    """

    name = "native-dist"
    available_backends = _UsableBackends()

    @staticmethod
    def create_from_context() -> _NativeDistModel | None:
        if not comp.is_distributed():
            return None
        comp.sync()  # read the context as it is now (LOCAL_RANK may have changed)
        return _NativeDistModel()

    @staticmethod
    def create_from_backend(
        backend: str,
        init_method: str | None = None,
        world_size: int | None = None,
        rank: int | None = None,
        **kwargs: Any,
    ) -> _NativeDistModel:
        if backend not in comp.available_backends():
            raise ValueError(f"Backend should be one of '{comp.available_backends()}'")
        if comp.is_distributed():
            raise RuntimeError(
                "Can not create new distributed process group if default one is already "
                "initialized"
            )
        if init_method is None:
            if world_size is not None or rank is not None:
                raise ValueError(
                    "Arguments rank and world_size should be None if no init_method is provided"
                )
        elif (rank is None) != (world_size is None):
            raise ValueError(
                f"Both rank and world_size should be provided, but given {rank} and {world_size}"
            )
        return _NativeDistModel(
            backend=backend, init_method=init_method, world_size=world_size, rank=rank, **kwargs
        )

    def __init__(
        self,
        backend: str | None = None,
        timeout: int | None = None,
        init_method: str | None = None,
        world_size: int | None = None,
        rank: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Private, as in ignite: use ``create_from_backend`` or ``create_from_context``."""
        super().__init__()
        if backend is not None:
            given = {
                "timeout": timeout,
                "init_method": init_method,
                "world_size": world_size,
                "rank": rank,
            }
            comp.initialize(backend, **{k: v for k, v in given.items() if v is not None}, **kwargs)
        elif not comp.is_distributed():
            raise RuntimeError(
                "No torch.distributed process group to read: give a backend or use "
                "_NativeDistModel.create_from_backend"
            )
        self._backend = comp.backend()
        # How the process group was made: by initialize (here, Parallel, spawn), else None.
        self._init_method = comp._init_method
        # The node layout may need collectives: every rank computes it now, together.
        self._setup_attrs()

    def _compute_nproc_per_node(self) -> int:
        return comp.get_nproc_per_node()

    def get_local_rank(self) -> int:
        return comp.get_local_rank()

    def get_rank(self) -> int:
        return comp.get_rank()

    def get_world_size(self) -> int:
        return comp.get_world_size()

    def get_nproc_per_node(self) -> int:
        return comp.get_nproc_per_node()

    def get_nnodes(self) -> int:
        return comp.get_nnodes()

    def get_node_rank(self) -> int:
        return comp.get_node_rank()

    def device(self) -> torch.device:
        return comp.device()

    def backend(self) -> str | None:
        return comp.backend()

    def finalize(self) -> None:
        comp.finalize()

    @staticmethod
    def spawn(
        fn: Callable,
        args: tuple,
        kwargs_dict: Mapping | None = None,
        nproc_per_node: int = 1,
        nnodes: int = 1,
        node_rank: int = 0,
        master_addr: str | None = None,
        master_port: int | None = None,
        backend: str = "nccl",
        init_method: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Run ``fn(local_rank, *args, **kwargs_dict)`` in ``nproc_per_node`` new processes
        (:func:`oxignite.distributed.spawn`, with ignite's argument order)."""
        if not kwargs.pop("join", True):
            raise ValueError("join=False is not supported: spawn waits for its processes")
        launcher.spawn(
            backend,
            fn,
            args,
            kwargs_dict=kwargs_dict,
            nproc_per_node=nproc_per_node,
            nnodes=nnodes,
            node_rank=node_rank,
            master_addr=master_addr,
            master_port=master_port,
            init_method=init_method,
            **kwargs,
        )

    # Collectives: oxignite's functions, which already handle numbers, strings and objects.

    def all_reduce(
        self, tensor: torch.Tensor | float, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor | float:
        return utils.all_reduce(tensor, op=op, group=group)

    def all_gather(self, tensor: Any, group: Any | None = None) -> Any:
        return utils.all_gather(tensor, group=group)

    def broadcast(self, tensor: Any, src: int = 0, safe_mode: bool = False) -> Any:
        return utils.broadcast(tensor, src=src, safe_mode=safe_mode)

    def new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        return utils.new_group(ranks, **kwargs)

    def barrier(self) -> None:
        utils.barrier()

    def _do_all_reduce(
        self, tensor: torch.Tensor, op: str = "SUM", group: Any | None = None
    ) -> torch.Tensor:
        return utils.all_reduce(tensor, op=op, group=group)

    def _do_all_gather(self, tensor: torch.Tensor, group: Any | None = None) -> torch.Tensor:
        return utils.all_gather(tensor, group=group)

    def _do_all_gather_object(self, tensor: Any, group: Any | None = None) -> list[Any]:
        group = utils._group(group)
        if utils._not_member(group):
            return tensor
        return utils._gather_objects(tensor, group)

    def _do_new_group(self, ranks: list[int], **kwargs: Any) -> Any:
        return utils.new_group(ranks, **kwargs)

    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
        return utils.broadcast(tensor, src=src)

    def _rank_not_in_group(self, group: Any) -> bool:
        return utils._not_member(group)
