"""Distributed helpers with ignite.distributed's API, on torch.distributed (gloo, nccl).

Import as ``import oxignite.distributed as idist``. Every function also works outside a
distributed run, answering for a single process (rank 0 of 1), so the same script runs on one
process, under ``torchrun`` or spawned by :class:`Parallel`::

    import oxignite.distributed as idist

    def training(local_rank, config):
        model = idist.auto_model(make_model())
        optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.1))
        train_loader = idist.auto_dataloader(train_set, batch_size=64, shuffle=True)
        val_loader = idist.auto_dataloader(val_set, batch_size=256, shuffle=False)
        ...

    with idist.Parallel(backend="gloo", nproc_per_node=2) as parallel:
        parallel.run(training, config)

Exact distributed evaluation -- where this differs from ignite: torch's ``DistributedSampler``
pads the data set with repeated samples until every rank has as many, so a metric summed over
ranks counts some samples twice (ignite's accuracy over 1,001 samples on 2 processes is
computed over 1,002). :func:`auto_dataloader` gives non-shuffled (evaluation) loaders an
:class:`UnpaddedDistributedSampler` instead: rank ``r`` of ``W`` reads samples
``r, r + W, r + 2W, ...``, each sample exactly once, so metrics that all_reduce their state in
``compute()`` equal the single-process figure. Shuffled (training) loaders keep
``DistributedSampler``, whose equal shard sizes DistributedDataParallel needs.
:func:`all_gather` accepts tensors whose first dimension differs between ranks, as it does
with these uneven shards.

Modules: ``comp`` (who am I: rank, device, initialize/finalize), ``utils`` (collectives,
one_rank_only...), ``auto`` (auto_model/optim/dataloader), ``sampler``, ``launcher``
(Parallel, spawn), ``slurm`` (the torch.distributed variables of a SLURM job, read by
:func:`initialize` when ``SLURM_JOB_ID`` is set).
"""

from oxignite.distributed.auto import auto_dataloader, auto_model, auto_optim
from oxignite.distributed.comp import (
    available_backends,
    backend,
    device,
    finalize,
    get_local_rank,
    get_nnodes,
    get_node_rank,
    get_nproc_per_node,
    get_rank,
    get_world_size,
    has_hvd_support,
    has_native_dist_support,
    has_xla_support,
    hostname,
    initialize,
    is_distributed,
    model_name,
    set_local_rank,
    sync,
)
from oxignite.distributed.comp_models import (  # noqa: F401 - ignite's module paths
    native,
    registered_computation_models,
    xla,
)
from oxignite.distributed.launcher import Parallel, spawn
from oxignite.distributed.sampler import DistributedProxySampler, UnpaddedDistributedSampler
from oxignite.distributed.utils import (
    all_gather,
    all_gather_tensors_with_shapes,
    all_reduce,
    barrier,
    broadcast,
    new_group,
    one_rank_first,
    one_rank_only,
    setup_logger,
    show_config,
)

__all__ = [
    "DistributedProxySampler",
    "Parallel",
    "UnpaddedDistributedSampler",
    "all_gather",
    "all_gather_tensors_with_shapes",
    "all_reduce",
    "auto_dataloader",
    "auto_model",
    "auto_optim",
    "available_backends",
    "backend",
    "barrier",
    "broadcast",
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
    "new_group",
    "one_rank_first",
    "one_rank_only",
    "registered_computation_models",
    "set_local_rank",
    "setup_logger",
    "show_config",
    "spawn",
    "sync",
]
