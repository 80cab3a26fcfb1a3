"""Start a distributed run: spawn processes on this machine, or join a torchrun launch."""

from __future__ import annotations

import logging
import os
import socket
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
import torch.multiprocessing as mp

from oxignite.distributed import comp

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Parallel", "spawn"]

logger = logging.getLogger(__name__)

# Variables torchrun (and our own spawn) set for every worker.
_LAUNCH_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE")


def _launched_externally() -> bool:
    return all(k in os.environ for k in _LAUNCH_VARS)


def _free_port() -> int:
    # Port 0 lets the OS choose one that is free now; concurrent runs then do not collide.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(
    local_rank: int,
    backend: str,
    fn: Callable,
    args: tuple,
    kwargs_dict: Mapping,
    nproc_per_node: int,
    nnodes: int,
    node_rank: int,
    master_addr: str,
    master_port: int,
    init_kwargs: dict,
) -> None:
    # Runs in each spawned process: describe the process the way torchrun would, then join.
    rank = node_rank * nproc_per_node + local_rank
    os.environ.update(
        {
            "RANK": str(rank),
            "LOCAL_RANK": str(local_rank),
            "WORLD_SIZE": str(nnodes * nproc_per_node),
            "LOCAL_WORLD_SIZE": str(nproc_per_node),
            "GROUP_RANK": str(node_rank),
            "MASTER_ADDR": master_addr,
            "MASTER_PORT": str(master_port),
        }
    )
    if "OMP_NUM_THREADS" not in os.environ:
        # Share the cores, as torchrun does: N processes each using every core oversubscribe
        # the CPU and make CPU (gloo) training several times slower.
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // nproc_per_node))
    comp.initialize(backend, **init_kwargs)
    fn(local_rank, *args, **kwargs_dict)
    comp.finalize()


def spawn(
    backend: str,
    fn: Callable,
    args: tuple,
    kwargs_dict: Mapping | None = None,
    nproc_per_node: int = 1,
    nnodes: int = 1,
    node_rank: int = 0,
    master_addr: str | None = None,
    master_port: int | None = None,
    init_method: str | None = None,
    **kwargs: Any,
) -> None:
    """Run ``fn(local_rank, *args, **kwargs_dict)`` in ``nproc_per_node`` new processes.

    Each process joins a ``backend`` process group before calling ``fn`` and leaves it after.
    If any process raises, the others are stopped and the error (with the failing rank's
    traceback) is raised here (``torch.multiprocessing.ProcessRaisedException``). Extra keyword
    arguments: ``start_method`` ("spawn" by default), ``daemon``, ``timeout`` (process group
    timeout in seconds).

    ``fn`` must be importable by name (a module-level function) under the "spawn" start method.

    Example::

        def work(local_rank, n):
            print(idist.get_rank(), idist.all_reduce(n))

        idist.spawn("gloo", work, args=(1,), nproc_per_node=2)  # prints 0 2 and 1 2
    """
    if backend not in comp.available_backends():
        raise ValueError(f"Backend should be one of {comp.available_backends()}, got {backend!r}")
    if init_method not in (None, "env://"):
        raise ValueError("Only init_method='env://' is supported when spawning")
    if master_addr is None:
        master_addr = os.environ.get("MASTER_ADDR", "127.0.0.1")
    if master_port is None:
        env_port = os.environ.get("MASTER_PORT")
        if env_port is None and nnodes > 1:
            raise ValueError("master_port is needed when spawning on several nodes")
        master_port = int(env_port) if env_port is not None else _free_port()
    init_kwargs = {}
    if "timeout" in kwargs:
        init_kwargs["timeout"] = kwargs.pop("timeout")
    start_method = kwargs.pop("start_method", "spawn")
    daemon = kwargs.pop("daemon", False)
    if kwargs:
        raise TypeError(f"Unexpected arguments: {sorted(kwargs)}")
    mp.start_processes(
        _worker,
        args=(
            backend,
            fn,
            tuple(args),
            dict(kwargs_dict or {}),
            nproc_per_node,
            nnodes,
            node_rank,
            master_addr,
            master_port,
            init_kwargs,
        ),
        nprocs=nproc_per_node,
        join=True,
        daemon=daemon,
        start_method=start_method,
    )


class Parallel:
    """Context manager that runs a function in the right distributed setting.

    - ``backend=None``: run in this process, not distributed.
    - ``backend`` and ``nproc_per_node``: spawn that many processes on this machine
      (``nnodes``/``node_rank``/``master_addr``/``master_port`` for several machines).
    - ``backend`` alone: this process was started by a launcher such as
      ``torchrun --nproc_per_node=2 script.py``; join the process group it describes in the
      RANK/LOCAL_RANK/WORLD_SIZE/MASTER_* environment variables. Under such a launch a given
      ``nproc_per_node`` is ignored (with a warning) rather than spawning processes in each
      launched one.

    ``run(fn, *args, **kwargs)`` calls ``fn(local_rank, *args, **kwargs)`` in each process.

    Example::

        def training(local_rank, config):
            print(idist.get_rank(), idist.get_world_size())

        with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
            parallel.run(training, {"lr": 0.1})
    """

    def __init__(
        self,
        backend: str | None = None,
        nproc_per_node: int | None = None,
        nnodes: int | None = None,
        node_rank: int | None = None,
        master_addr: str | None = None,
        master_port: int | None = None,
        init_method: str | None = None,
        **spawn_kwargs: Any,
    ) -> None:
        if backend is None:
            given = {
                "nproc_per_node": nproc_per_node,
                "nnodes": nnodes,
                "node_rank": node_rank,
                "master_addr": master_addr,
                "master_port": master_port,
            }
            for name, value in given.items():
                if value is not None:
                    raise ValueError(
                        f"If backend is None, argument '{name}' should be also None, "
                        f"but given {value}"
                    )
        elif backend not in comp.available_backends():
            raise ValueError(
                f"Unknown backend '{backend}'. Available backends: {comp.available_backends()}"
            )
        if init_method is not None and init_method.startswith("tcp://"):
            raise ValueError(comp.tcp_init_message(init_method))
        self.backend = backend
        self.init_method = init_method
        self._spawn_params: dict | None = None
        if backend is not None and nproc_per_node is not None:
            if _launched_externally():
                warnings.warn(
                    "Process already started by a distributed launcher (RANK/LOCAL_RANK/"
                    "WORLD_SIZE are set): nproc_per_node is ignored and the launch is joined"
                )
            else:
                self._spawn_params = self._check_spawn_params(
                    nproc_per_node, nnodes, node_rank, master_addr, master_port, init_method
                )
                self._spawn_params.update(spawn_kwargs)
        self._initialized = False

    @staticmethod
    def _check_spawn_params(
        nproc_per_node: int,
        nnodes: int | None,
        node_rank: int | None,
        master_addr: str | None,
        master_port: int | None,
        init_method: str | None,
    ) -> dict:
        if nproc_per_node < 1:
            raise ValueError(
                f"Argument nproc_per_node should positive, but given {nproc_per_node}"
            )
        nnodes = 1 if nnodes is None else nnodes
        if nnodes < 1:
            raise ValueError(f"Argument nnodes should positive, but given {nnodes}")
        if node_rank is None:
            if nnodes > 1:
                raise ValueError(
                    "If number of nodes larger than one, arguments node_rank should be given"
                )
            node_rank = 0
        if not 0 <= node_rank < nnodes:
            raise ValueError(
                f"Argument node_rank should be between 0 and {nnodes - 1}, but given {node_rank}"
            )
        if nnodes > 1 and (master_addr is None or master_port is None):
            raise ValueError(
                "If number of nodes larger than one, arguments master_addr and master_port "
                f"should be specified, but given master_addr={master_addr}, "
                f"master_port={master_port}"
            )
        params = {
            "nproc_per_node": nproc_per_node,
            "nnodes": nnodes,
            "node_rank": node_rank,
            "master_addr": master_addr,
            "master_port": master_port,
            "init_method": init_method,
        }
        return {k: v for k, v in params.items() if v is not None}

    def run(self, func: Callable, *args: Any, **kwargs: Any) -> Any:
        """Call ``func(local_rank, *args, **kwargs)`` in every process of the run.

        When processes are spawned this returns None once all have finished; otherwise it
        returns what ``func`` returned in this process.

        Example::

            with idist.Parallel("gloo", nproc_per_node=2) as p:
                p.run(training, config)
        """
        if self._spawn_params is not None:
            logger.info("Spawn %s in %d processes", func, self._spawn_params["nproc_per_node"])
            spawn(self.backend, func, args=args, kwargs_dict=kwargs, **self._spawn_params)
            return None
        logger.info("Run %s in this process of %d", func, comp.get_world_size())
        return func(comp.get_local_rank(), *args, **kwargs)

    def __enter__(self) -> Self:
        if self.backend is not None and self._spawn_params is None:
            comp.initialize(self.backend, init_method=self.init_method)
            self._initialized = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._initialized:
            comp.finalize()
            self._initialized = False
