"""Who am I in the run: rank, world size, node layout, device and backend.

The distributed context is read from ``torch.distributed`` on every call, so a process group
created by :func:`initialize`, by :class:`~oxignite.distributed.Parallel` or directly by the user
with ``torch.distributed.init_process_group`` is picked up alike. Without a process group every
function answers for a single ("serial") process.
"""

from __future__ import annotations

import os
import socket
import warnings
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from oxignite.distributed import slurm

__all__ = [
    "available_backends",
    "backend",
    "device",
    "finalize",
    "get_local_rank",
    "get_nnodes",
    "get_node_rank",
    "get_nproc_per_node",
    "get_rank",
    "get_world_size",
    "has_hvd_support",
    "has_native_dist_support",
    "has_xla_support",
    "hostname",
    "initialize",
    "is_distributed",
    "model_name",
    "set_local_rank",
    "sync",
]

has_native_dist_support = dist.is_available()
# Only torch.distributed is in scope; the flags exist for code written against ignite.
has_xla_support = False
has_hvd_support = False

GLOO = "gloo"
NCCL = "nccl"

# Environment saved by ``initialize`` so that ``finalize`` can put it back.
_env_backup: dict | None = None
# The init_method of the process group ``initialize`` created (ignite's model records it).
_init_method: str | None = None


class _Topology:
    """Node layout of one process group, computed once per group (it may need collectives)."""

    def __init__(self, group: Any, local_rank: int, nproc_per_node: int, node_rank: int) -> None:
        self.group = group
        self.local_rank = local_rank
        self.nproc_per_node = nproc_per_node
        self.node_rank = node_rank
        self.nnodes = max(1, dist.get_world_size() // nproc_per_node)


_topology: _Topology | None = None


def is_distributed() -> bool:
    """True when a torch.distributed default process group is initialized in this process.

    Example::

        if idist.is_distributed():
            print("rank", idist.get_rank(), "of", idist.get_world_size())
    """
    return has_native_dist_support and dist.is_initialized()


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


def _gloo_group() -> Any:
    # Topology collectives run on CPU tensors; NCCL would need CUDA ones.
    if dist.get_backend() == GLOO:
        return None
    return dist.new_group(backend=GLOO)


def _local_rank_from_hostnames() -> tuple:
    """(local_rank, node_rank) guessed from which ranks share this host (ignite's heuristic)."""
    name = socket.gethostname().encode("utf-8")[:255]
    padded = torch.zeros(256, dtype=torch.long)
    padded[: len(name)] = torch.tensor(list(name), dtype=torch.long)
    padded[255] = len(name)
    group = _gloo_group()
    out = [torch.zeros_like(padded) for _ in range(dist.get_world_size())]
    dist.all_gather(out, padded, group=group)
    hosts = [tuple(t.tolist()) for t in out]
    rank = dist.get_rank()
    # Ranks are assumed to be laid out node after node.
    order = list(dict.fromkeys(hosts))
    node_rank = order.index(hosts[rank])
    local_rank = sum(1 for h in hosts[:rank] if h == hosts[rank])
    return local_rank, node_rank


def _hinted_local_rank() -> int | None:
    # The local rank given to set_local_rank, kept where ignite keeps it (code written for
    # ignite may set ComputationModel._ext_local_rank directly).
    from oxignite.distributed.comp_models.base import ComputationModel

    return ComputationModel._ext_local_rank


def _get_topology() -> _Topology:
    global _topology
    group = dist.group.WORLD
    if _topology is not None and _topology.group is group:
        return _topology
    local_rank = _env_int("LOCAL_RANK")
    if local_rank is None and "SLURM_JOB_ID" in os.environ:
        # A process group made by hand in a SLURM task: the task's local id.
        local_rank = _env_int("SLURM_LOCALID")
    if local_rank is None:
        local_rank = _hinted_local_rank()
    node_rank = _env_int("GROUP_RANK")
    if local_rank is None:
        warnings.warn(
            "Local rank information for native distributed setting will be initialized using "
            "a heuristic approach based on the hostnames. In some corner cases, determined "
            "local rank can be different from the real setup. To avoid this warning, please "
            "either set `os.environ['LOCAL_RANK']` or use `idist.set_local_rank(local_rank)` "
            "with correct local rank index."
        )
        local_rank, node_rank = _local_rank_from_hostnames()
    nproc = _env_int("LOCAL_WORLD_SIZE")
    if nproc is None:
        # Every rank computes the same maximum, so every rank takes part in the collective.
        t = torch.tensor([local_rank + 1])
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=_gloo_group())
        nproc = int(t.item())
    if node_rank is None:
        node_rank = dist.get_rank() // nproc
    _topology = _Topology(group, local_rank, nproc, node_rank)
    return _topology


def sync(temporary: bool = False) -> None:
    """Forget cached node layout so the next query reads the current process group again.

    Kept for ignite compatibility: the context is otherwise read on each call.

    Example::

        dist.init_process_group("gloo")
        idist.sync()
    """
    global _topology
    _topology = None


def set_local_rank(index: int) -> None:
    """Tell which local process index this is, when the user builds the process group by hand.

    Example::

        idist.set_local_rank(local_rank)
        dist.init_process_group("gloo", ...)
    """
    from oxignite.distributed.comp_models.base import ComputationModel

    ComputationModel._ext_local_rank = index
    sync()


def get_rank() -> int:
    """Global rank of this process (0 when not distributed).

    Example::

        if idist.get_rank() == 0:
            print("I am the main process")
    """
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    """Number of processes in the run (1 when not distributed).

    Example::

        per_rank_batch = 64 // idist.get_world_size()
    """
    return dist.get_world_size() if is_distributed() else 1


def get_local_rank() -> int:
    """Index of this process on its machine (0 when not distributed).

    Example::

        torch.cuda.set_device(idist.get_local_rank())
    """
    return _get_topology().local_rank if is_distributed() else 0


def get_nproc_per_node() -> int:
    """Number of processes per machine (1 when not distributed).

    Example::

        workers = 8 // idist.get_nproc_per_node()
    """
    return _get_topology().nproc_per_node if is_distributed() else 1


def get_nnodes() -> int:
    """Number of machines in the run (1 when not distributed).

    Example::

        assert idist.get_nnodes() * idist.get_nproc_per_node() == idist.get_world_size()
    """
    return _get_topology().nnodes if is_distributed() else 1


def get_node_rank() -> int:
    """Index of this machine among the machines of the run (0 when not distributed).

    Example::

        print("node", idist.get_node_rank(), "of", idist.get_nnodes())
    """
    return _get_topology().node_rank if is_distributed() else 0


def hostname() -> str:
    """Host name of this machine.

    Example::

        print(idist.hostname())
    """
    return socket.gethostname()


def backend() -> str | None:
    """Name of the torch.distributed backend in use ("gloo", "nccl"), or None when not distributed.

    Example::

        if idist.backend() == "nccl":
            ...
    """
    return dist.get_backend() if is_distributed() else None


def model_name() -> str:
    """Name of the computation model: "native-dist" in a torch.distributed run, else "serial".

    Example::

        print(idist.model_name())  # serial
    """
    return "native-dist" if is_distributed() else "serial"


def available_backends() -> tuple:
    """Backends this torch build can use here: a subset of ("nccl", "gloo").

    Example::

        backend = "nccl" if "nccl" in idist.available_backends() else "gloo"
    """
    if not has_native_dist_support:
        return ()
    names = []
    if dist.is_nccl_available() and torch.cuda.is_available():
        names.append(NCCL)
    if dist.is_gloo_available():
        names.append(GLOO)
    return tuple(names)


def device() -> torch.device:
    """Device this process should compute on.

    In a distributed run with CUDA, the current CUDA device (set to the local rank at
    initialization); otherwise "cuda" if present, else "cpu".

    Example::

        model = model.to(idist.device())
    """
    if torch.cuda.is_available() and is_distributed():
        return torch.device(f"cuda:{torch.cuda.current_device()}")
    return _serial_device()


def _serial_device() -> torch.device:
    # The device of a single process: also what comp_models._SerialModel.device() answers.
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def tcp_init_message(init_method: str) -> str:
    # Every rank would bind the same address; env:// with MASTER_ADDR/PORT does it right.
    return (
        f"TCP initialization via init_method='{init_method}' will hang. To fix this, please "
        "configure MASTER_ADDR and MASTER_PORT in the environment and use 'env://' (or omit "
        "init_method)."
    )


def initialize(backend: str, **kwargs: Any) -> None:
    """Create the default process group of a run launched from outside (torchrun, SLURM...).

    Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT from the environment; any
    missing variable gets a single-process default (RANK=0, WORLD_SIZE=1...). In a SLURM job
    (``SLURM_JOB_ID`` set) they are set from SLURM's variables first, as ignite does (see
    :mod:`oxignite.distributed.slurm`); ``rank`` and ``world_size`` may not be given then.
    Keyword arguments:
    ``init_method`` (default "env://"), ``timeout`` (seconds or timedelta), ``rank`` and
    ``world_size`` (with a non-env init_method).

    Example::

        # torchrun --nproc_per_node=2 main.py
        idist.initialize("gloo")
        train(idist.get_local_rank())
        idist.finalize()
    """
    global _env_backup, _init_method
    if backend not in available_backends():
        raise ValueError(f"Backend should be one of {available_backends()}, got {backend!r}")
    if is_distributed():
        raise RuntimeError("A default process group is already initialized")
    init_method = kwargs.pop("init_method", None) or "env://"
    if init_method.startswith("tcp://"):
        raise ValueError(tcp_init_message(init_method))
    rank = kwargs.pop("rank", None)
    world_size = kwargs.pop("world_size", None)
    timeout = kwargs.pop("timeout", None)
    if kwargs:
        raise TypeError(f"Unexpected arguments: {sorted(kwargs)}")

    backup = dict(os.environ)
    if "SLURM_JOB_ID" in os.environ:
        slurm.setup_env_in_slurm(rank, world_size)
    required = ["RANK", "LOCAL_RANK", "WORLD_SIZE"]
    present = [k in os.environ for k in required]
    if any(present) and not all(present):
        raise RuntimeError(f"Distributed environment should define all of {required}")
    os.environ.setdefault("RANK", str(rank if rank is not None else 0))
    os.environ.setdefault("WORLD_SIZE", str(world_size if world_size is not None else 1))
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "15000")
    _env_backup = backup

    pg_kwargs: dict = {}
    if timeout is not None:
        pg_kwargs["timeout"] = timeout if isinstance(timeout, timedelta) else timedelta(
            seconds=timeout
        )
    if not init_method.startswith("env"):
        pg_kwargs["rank"] = int(os.environ["RANK"])
        pg_kwargs["world_size"] = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])
    if backend == NCCL or (torch.cuda.is_available() and local_rank < torch.cuda.device_count()):
        # Each process drives the GPU of its local rank.
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend, init_method=init_method, **pg_kwargs)
    _init_method = init_method
    sync()
    _get_topology()  # collective: all ranks compute their layout together, now
    if backend == NCCL:
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


def finalize() -> None:
    """Destroy the default process group and restore the environment saved by :func:`initialize`.

    Does nothing when not distributed.

    Example::

        idist.initialize("gloo")
        ...
        idist.finalize()
    """
    global _env_backup, _init_method
    _init_method = None
    if is_distributed():
        dist.destroy_process_group()
    sync()
    if _env_backup is not None:
        os.environ.clear()
        os.environ.update(_env_backup)
        _env_backup = None
