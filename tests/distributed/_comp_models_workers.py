"""2-process gloo run for test_comp_models.py, started as ``python _comp_models_workers.py OUT``.

The processes are started by oxignite's ``_NativeDistModel.spawn`` (so spawn is exercised
too). Each rank builds three models on the same process group -- oxignite's
``_NativeDistModel``, ignite's ``_NativeDistModel`` and a minimal subclass of oxignite's
``ComputationModel`` whose primitives are plain torch.distributed calls (it exercises the
base class's number / string / safe-mode logic) -- runs the same calls on each and writes
the results to ``OUT/rank{r}.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from ignite.distributed.comp_models.native import _NativeDistModel as IgniteNative
from oxignite.distributed.comp_models.base import ComputationModel
from oxignite.distributed.comp_models.native import _NativeDistModel


class _PlainDistModel(ComputationModel):
    # Primitives only: what a user writes to plug a custom model into the base class.
    name = "plain"

    def __init__(self) -> None:
        super().__init__()
        self._setup_attrs()

    def _compute_nproc_per_node(self) -> int:
        return dist.get_world_size()

    def get_local_rank(self) -> int:
        return dist.get_rank()

    def get_rank(self) -> int:
        return dist.get_rank()

    def get_world_size(self) -> int:
        return dist.get_world_size()

    def get_nproc_per_node(self) -> int:
        return self._nproc_per_node

    def get_nnodes(self) -> int:
        return self._nnodes

    def get_node_rank(self) -> int:
        return self._node

    def device(self) -> torch.device:
        return torch.device("cpu")

    def backend(self) -> str:
        return dist.get_backend()

    def finalize(self) -> None:
        pass

    @staticmethod
    def create_from_context() -> _PlainDistModel:
        return _PlainDistModel()

    @staticmethod
    def create_from_backend(backend: str, **kwargs: Any) -> _PlainDistModel:
        raise NotImplementedError

    @staticmethod
    def spawn(*args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def _do_all_reduce(self, tensor: torch.Tensor, op: str = "SUM", group: Any = None):
        dist.all_reduce(tensor, getattr(dist.ReduceOp, op), group=group)
        return tensor

    def _do_all_gather(self, tensor: torch.Tensor, group: Any = None) -> torch.Tensor:
        tensor = tensor.unsqueeze(0) if tensor.ndim == 0 else tensor
        out = [torch.zeros_like(tensor) for _ in range(dist.get_world_size(group))]
        dist.all_gather(out, tensor, group=group)
        return torch.cat(out)

    def _do_all_gather_object(self, tensor: Any, group: Any = None) -> list:
        out = [None] * dist.get_world_size(group)
        dist.all_gather_object(out, tensor, group=group)
        return out

    def _do_broadcast(self, tensor: torch.Tensor, src: int) -> torch.Tensor:
        dist.broadcast(tensor, src=src)
        return tensor

    def barrier(self) -> None:
        dist.barrier()

    def _do_new_group(self, ranks: list, **kwargs: Any) -> Any:
        return dist.new_group(ranks, **kwargs)

    def _rank_not_in_group(self, group: Any) -> bool:
        return dist._rank_not_in_group(group)


def _context(m: Any) -> dict:
    return {
        "name": m.name,
        "rank": m.get_rank(),
        "local_rank": m.get_local_rank(),
        "world_size": m.get_world_size(),
        "nproc_per_node": m.get_nproc_per_node(),
        "nnodes": m.get_nnodes(),
        "node_rank": m.get_node_rank(),
        "backend": m.backend(),
        "device": str(m.device()),
    }


def _calls(m: Any) -> dict:
    rank = m.get_rank()
    safe_tensor = m.broadcast(
        torch.arange(6, dtype=torch.int32).reshape(2, 3) if rank == 0 else None, 0, safe_mode=True
    )
    group = m.new_group([0, 1])
    m.barrier()
    return {
        "reduce_tensor": m.all_reduce(torch.tensor([rank + 1.0, 10.0 * rank]), op="SUM").tolist(),
        "reduce_int": m.all_reduce(rank + 1, op="SUM"),
        "reduce_float_max": m.all_reduce(rank * 2.5, op="MAX"),
        "reduce_min": m.all_reduce(torch.tensor([rank + 3]), op="MIN").tolist(),
        "reduce_group": m.all_reduce(torch.tensor([1]), op="SUM", group=group).tolist(),
        "gather_tensor": m.all_gather(torch.tensor([rank, rank])).tolist(),
        "gather_scalar": m.all_gather(torch.tensor(rank * 1.0)).tolist(),
        "gather_number": m.all_gather(rank + 0.5),
        "gather_str": m.all_gather(f"rank-{rank}" * (rank + 1)),
        "gather_obj": m.all_gather({"r": rank}),
        "broadcast_tensor": m.broadcast(torch.tensor([rank + 7]), src=1).tolist(),
        "broadcast_number": m.broadcast(1.5 if rank == 0 else 0.0, src=0),
        "broadcast_str": m.broadcast("from zero" if rank == 0 else "", src=0),
        "broadcast_path": repr(m.broadcast(Path("/x/y") if rank == 0 else Path(), src=0)),
        "broadcast_safe_tensor": [safe_tensor.tolist(), str(safe_tensor.dtype)],
        "broadcast_safe_str": m.broadcast("abc" if rank == 1 else None, 1, safe_mode=True),
        "broadcast_safe_path": repr(m.broadcast(Path("p") if rank == 0 else None, 0, True)),
        "broadcast_safe_number": m.broadcast(2.5 if rank == 0 else None, 0, safe_mode=True),
    }


def combined(local_rank: int, out_dir: str) -> None:
    ours = _NativeDistModel.create_from_context()
    theirs = IgniteNative.create_from_context()
    plain = _PlainDistModel.create_from_context()
    result = {"local_rank_arg": local_rank, "rank": dist.get_rank()}
    for key, model in (("ours", ours), ("ignite", theirs), ("plain", plain)):
        result[key] = {"context": _context(model), "calls": _calls(model)}
    Path(out_dir, f"rank{dist.get_rank()}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    _NativeDistModel.spawn(combined, args=(sys.argv[1],), nproc_per_node=2, backend="gloo")
