"""Worker scenarios for the 2-process tests, run as ``python _workers.py SCENARIO OUT_DIR``.

Each scenario runs in 2 gloo processes (spawned through ``idist.Parallel``, or launched by
torchrun for "torchrun") and writes what it saw to ``OUT_DIR/rank{r}.json``; the tests read
those files. Tests start this script with ``subprocess.run(..., timeout=...)`` so a hang can
never block the suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import oxignite.distributed as idist
import torch

N_SAMPLES = 1001  # does not divide by 2: torch's DistributedSampler would pad it


def _dump(out_dir: str, result: dict) -> None:
    Path(out_dir, f"rank{idist.get_rank()}.json").write_text(json.dumps(result))


def _collectives(local_rank: int, out_dir: str) -> dict:
    rank, ws = idist.get_rank(), idist.get_world_size()
    t = torch.tensor([rank + 1.0, 10.0 * rank])
    in_place = idist.all_reduce(t)
    result = {
        "rank": rank,
        "local_rank": local_rank,
        "world_size": ws,
        "nproc_per_node": idist.get_nproc_per_node(),
        "nnodes": idist.get_nnodes(),
        "node_rank": idist.get_node_rank(),
        "backend": idist.backend(),
        "model_name": idist.model_name(),
        "device": str(idist.device()),
        "sum_int": idist.all_reduce(rank + 1),
        "sum_float": idist.all_reduce(rank + 0.25),
        "sum_tensor": t.tolist(),
        "sum_in_place": in_place is t,
        "min": idist.all_reduce(torch.tensor([rank + 3]), op="MIN").tolist(),
        "max": idist.all_reduce(rank * 2.5, op="MAX"),
        "product": idist.all_reduce(torch.tensor([rank + 2.0]), op="PRODUCT").tolist(),
        "int_dtype": str(idist.all_reduce(torch.tensor([1], dtype=torch.int32)).dtype),
        "gather_tensor": idist.all_gather(torch.tensor([rank, rank])).tolist(),
        "gather_uneven": idist.all_gather(torch.full((rank + 1, 2), rank)).tolist(),
        "gather_scalar_tensor": idist.all_gather(torch.tensor(rank * 1.0)).tolist(),
        "gather_number": idist.all_gather(rank + 0.5),
        "gather_str": idist.all_gather(f"rank-{rank}" * (rank + 1)),
        "gather_obj": idist.all_gather({"r": rank}),
        "broadcast_tensor": idist.broadcast(torch.tensor([rank + 7]), src=1).tolist(),
        "broadcast_number": idist.broadcast(1.5 if rank == 0 else 0.0, src=0),
        "broadcast_str": idist.broadcast("from zero" if rank == 0 else "", src=0),
        "broadcast_path": str(idist.broadcast(Path("/x/y") if rank == 0 else Path(), src=0)),
        "broadcast_safe": idist.broadcast([1, 2, 3] if rank == 0 else None, src=0, safe_mode=True),
        "with_shapes": [
            t.tolist()
            for t in idist.all_gather_tensors_with_shapes(
                torch.full((rank + 1, 1), rank), [[r + 1, 1] for r in range(ws)]
            )
        ],
        "group_sum": idist.all_reduce(torch.tensor([1]), group=[0, 1]).tolist(),
    }
    calls = []

    @idist.one_rank_only(with_barrier=True)
    def only_zero() -> int:
        calls.append(rank)
        return 42

    result["one_rank_only"] = only_zero()
    result["one_rank_only_calls"] = calls
    marker = Path(out_dir, "first.txt")
    with idist.one_rank_first():
        # Rank 0 runs the block first, so rank 1 must find its marker.
        result["saw_marker"] = marker.exists()
        marker.write_text("done")
    idist.barrier()
    result.update(_auto(rank))
    return result


def _auto(rank: int) -> dict:
    data = torch.utils.data.TensorDataset(torch.arange(N_SAMPLES))
    train = idist.auto_dataloader(data, batch_size=100, shuffle=True)
    evaluation = idist.auto_dataloader(data, batch_size=100, shuffle=False)
    eval_indices = [int(i) for (b,) in evaluation for i in b]
    custom = idist.auto_dataloader(data, sampler=torch.utils.data.SequentialSampler(data))
    torch.manual_seed(rank)  # different data per rank: DDP must still keep weights equal
    model = idist.auto_model(torch.nn.Linear(3, 1))
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.5))
    model(torch.randn(8, 3)).pow(2).mean().backward()
    optimizer.step()
    weights = idist.all_gather(model.module.weight.detach().reshape(1, -1)).tolist()
    return {
        "train_sampler": type(train.sampler).__name__,
        "train_batch_size": train.batch_size,
        "train_len": len(train.sampler),
        "eval_sampler": type(evaluation.sampler).__name__,
        "eval_indices": eval_indices,
        "custom_sampler": type(custom.sampler).__name__,
        "custom_indices": list(custom.sampler),
        "model": type(model).__name__,
        "weights": weights,
    }


def _accuracy_data() -> tuple:
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (N_SAMPLES,), generator=g)
    logits = torch.randn(N_SAMPLES, 4, generator=g)
    logits[torch.arange(N_SAMPLES), y] += 0.5  # better than chance, below 100%
    return logits, y


def _engine(out_dir: str) -> dict:
    # Needs the engine, metrics and handlers modules.
    from oxignite.engine import Engine, Events
    from oxignite.handlers import Checkpoint, DiskSaver
    from oxignite.metrics import Accuracy
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    logits, y = _accuracy_data()
    data = TensorDataset(logits, y)

    def evaluate(loader: DataLoader) -> float:
        evaluator = Engine(lambda e, batch: (batch[0], batch[1]))
        Accuracy().attach(evaluator, "acc")
        return evaluator.run(loader).metrics["acc"]

    exact = evaluate(idist.auto_dataloader(data, batch_size=64, shuffle=False))
    padded_sampler = DistributedSampler(data, shuffle=False)  # what ignite would use
    padded = evaluate(DataLoader(data, batch_size=64, sampler=padded_sampler))

    # Sampler epochs and checkpoints written by one rank only.
    train_loader = idist.auto_dataloader(TensorDataset(torch.arange(40.0)), batch_size=8)
    seen_epochs = []
    first_batches = []
    trainer = Engine(lambda e, batch: None)
    trainer.set_sampler_epoch = True  # opt-in: ignite's engine never calls set_epoch

    @trainer.on(Events.ITERATION_COMPLETED)
    def grab(e: Engine) -> None:
        if (e.state.iteration - 1) % e.state.epoch_length == 0:
            seen_epochs.append(train_loader.sampler.epoch)
            first_batches.append(e.state.batch[0].tolist())

    model = idist.auto_model(torch.nn.Linear(2, 1))
    ckpt_dir = Path(out_dir, "ckpt")
    checkpoint = Checkpoint(
        {"model": model, "trainer": trainer},
        DiskSaver(str(ckpt_dir), require_empty=False),
        n_saved=2,
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, checkpoint)
    # Count the files each rank writes: same-named files from 2 ranks would not show on disk.
    saves = []
    real_save = torch.save

    def counting_save(obj: object, f: object, *args: object, **kwargs: object) -> None:
        saves.append(idist.get_rank())
        real_save(obj, f, *args, **kwargs)

    torch.save = counting_save
    try:
        trainer.run(train_loader, max_epochs=3)
    finally:
        torch.save = real_save
    idist.barrier()
    return {
        "exact": exact,
        "padded": padded,
        "sampler_epochs": seen_epochs,
        "first_batches": first_batches,
        "checkpoint_files": sorted(p.name for p in ckpt_dir.iterdir()),
        "saves": len(saves),
    }


def _describe(value: object) -> list:
    # A JSON-able picture of a collective's result: kind, dtype, values, device.
    if isinstance(value, torch.Tensor):
        return ["tensor", str(value.dtype), value.tolist(), value.device.type]
    if isinstance(value, (int, float)):
        return ["number", float(value)]
    return [type(value).__name__, str(value)]


def _error(call: object) -> list | None:
    try:
        call()  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return [type(e).__name__, str(e)]
    return None


def parity_checks(package: str) -> dict:
    """The behaviours ignite's distributed tests found different, run through ``package``
    (``oxignite.distributed`` or ``ignite.distributed``) in this process group: the test
    compares the two."""
    import importlib
    import warnings

    dist_mod = importlib.import_module(package)
    utils = importlib.import_module(package + ".utils")
    rank = dist_mod.get_rank()
    out: dict = {"model": type(utils._model).__name__}
    # Safe-mode broadcast onto placeholders of another kind (ignite's own test cases).
    cases = [
        (10, None),
        (torch.tensor([1.5, 2.5]), None),
        (torch.tensor([1.5, 2.5]), "abc"),
        (torch.arange(6).reshape(2, 3), "None"),
        (torch.tensor(12), 123.4),
        ("text", 1.2),
        (Path("a/b"), ""),
    ]
    out["broadcast_safe"] = [
        _describe(dist_mod.broadcast(data if rank == src else other, src=src, safe_mode=True))
        for src in (0, 1)
        for data, other in cases
    ]
    for name in ("all_reduce", "all_gather"):
        fn = getattr(dist_mod, name)
        out[f"{name}_bad_group"] = _error(lambda fn=fn: fn(torch.tensor([1]), group="abc"))
    out["not_in_group"] = [
        utils._rank_not_in_group(None),
        utils._rank_not_in_group([0]),
        utils._rank_not_in_group([0, 1]),
    ]
    data = torch.utils.data.TensorDataset(torch.arange(10))
    samplers = torch.utils.data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch_sampler = samplers.BatchSampler(samplers.SequentialSampler(data), 3, False)
        dist_mod.auto_dataloader(data, batch_sampler=batch_sampler)
        for replicas, sampler_rank in ((2, 1 - rank), (3, rank)):
            sampler = samplers.DistributedSampler(data, num_replicas=replicas, rank=sampler_rank)
            dist_mod.auto_dataloader(data, sampler=sampler)
    out["auto_dataloader_warnings"] = [str(w.message) for w in caught]
    return out


def _parity(rank: int) -> dict:
    ours = parity_checks("oxignite.distributed")
    try:
        import ignite.distributed  # noqa: F401
    except ImportError:
        return {"oxignite": ours, "ignite": None}
    return {"oxignite": ours, "ignite": parity_checks("ignite.distributed")}


def _engine_stack_available() -> bool:
    try:
        import oxignite.engine
        import oxignite.handlers
        import oxignite.metrics  # noqa: F401
    except ImportError:
        return False
    return True


def combined(local_rank: int, out_dir: str) -> None:
    # One spawn for all the checks: each 2-process start costs seconds of imports.
    result = _collectives(local_rank, out_dir)
    result["parity"] = _parity(local_rank)
    result["engine"] = _engine(out_dir) if _engine_stack_available() else None
    _dump(out_dir, result)


def failing(local_rank: int, out_dir: str) -> None:
    if idist.get_rank() == 1:
        raise ValueError("boom on rank 1")
    idist.barrier()  # rank 0 would wait here forever if the failure were not propagated
    idist.all_reduce(1)


def torchrun(local_rank: int, out_dir: str) -> None:
    _dump(
        out_dir,
        {
            "rank": idist.get_rank(),
            "local_rank": local_rank,
            "world_size": idist.get_world_size(),
            "sum": idist.all_reduce(idist.get_rank() + 1),
        },
    )


def main() -> None:
    scenario, out_dir = sys.argv[1], sys.argv[2]
    fn = globals()[scenario]
    if scenario == "torchrun":
        # Launched by torchrun: Parallel joins the process group from the environment.
        with idist.Parallel(backend="gloo") as parallel:
            parallel.run(fn, out_dir)
        return
    with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
        parallel.run(fn, out_dir)


if __name__ == "__main__":
    main()
