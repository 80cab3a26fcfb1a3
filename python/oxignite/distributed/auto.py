"""Adapt a model, optimizer and data loader to the current (distributed or not) configuration."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torch.utils.data.distributed import DistributedSampler

from oxignite.distributed import comp
from oxignite.distributed.sampler import DistributedProxySampler, UnpaddedDistributedSampler

__all__ = ["auto_dataloader", "auto_model", "auto_optim"]

logger = logging.getLogger(__name__)


def auto_dataloader(dataset: Dataset, **kwargs: Any) -> DataLoader:
    """Build a ``DataLoader`` for ``dataset`` that splits the data between processes.

    With a world size above one, the keyword arguments of ``torch.utils.data.DataLoader`` are
    adapted:

    - ``batch_size`` is divided by the world size (if at least the world size), so the global
      batch stays the same; ``num_workers`` is divided by the processes per machine.
    - without a ``sampler``:

      * a **training** loader (``shuffle=True``, or ``shuffle`` left out, as in ignite) gets a
        torch ``DistributedSampler``: equal shard sizes, obtained by padding with repeated
        samples, reshuffled each epoch through ``set_epoch``;
      * an **evaluation** loader (``shuffle=False``) gets an
        :class:`~oxignite.distributed.sampler.UnpaddedDistributedSampler`: rank ``r`` reads
        samples ``r, r + W, r + 2W, ...`` with no repeats, so shard sizes may differ by one and
        metrics summed over ranks equal the single-process figure exactly. (ignite pads here as
        well, so its distributed accuracy over e.g. 1,001 samples on 2 processes counts one
        sample twice.) Do not train a DistributedDataParallel model on such a loader: ranks
        may run different numbers of iterations.
    - a ``DistributedSampler`` given by the user is kept; any other sampler is wrapped in
      :class:`~oxignite.distributed.sampler.DistributedProxySampler`.
    - an ``IterableDataset`` or a ``batch_sampler`` is left alone (make sure each rank reads
      different data).

    ``pin_memory`` defaults to True when the device is CUDA.

    Example::

        train_loader = idist.auto_dataloader(train_set, batch_size=64, shuffle=True)
        val_loader = idist.auto_dataloader(val_set, batch_size=256, shuffle=False)  # exact
    """
    rank = comp.get_rank()
    world_size = comp.get_world_size()
    if world_size > 1:
        if "batch_size" in kwargs and kwargs["batch_size"] >= world_size:
            kwargs["batch_size"] //= world_size
        nproc = comp.get_nproc_per_node()
        if "num_workers" in kwargs and kwargs["num_workers"] >= nproc:
            kwargs["num_workers"] = (kwargs["num_workers"] + nproc - 1) // nproc
        if "batch_sampler" in kwargs:
            warnings.warn(
                "Found batch_sampler in provided kwargs. Please, make sure that it is compatible "
                "with distributed configuration"
            )
        elif isinstance(dataset, IterableDataset):
            logger.info("Iterable dataset: no distributed sampling; each rank must read its own")
        else:
            sampler = kwargs.get("sampler")
            if isinstance(sampler, (DistributedSampler, UnpaddedDistributedSampler)):
                # ignite's two warnings, word for word.
                if sampler.rank != rank:
                    warnings.warn(
                        f"Found distributed sampler with rank={sampler.rank}, "
                        f"but process rank is {rank}"
                    )
                if sampler.num_replicas != world_size:
                    warnings.warn(
                        f"Found distributed sampler with num_replicas={sampler.num_replicas}, "
                        f"but world size is {world_size}"
                    )
            elif sampler is None:
                # DataLoader refuses shuffle together with a sampler; the sampler decides order.
                shuffle = kwargs.pop("shuffle", True)
                if shuffle:
                    sampler = DistributedSampler(
                        dataset, num_replicas=world_size, rank=rank, shuffle=True
                    )
                else:
                    sampler = UnpaddedDistributedSampler(
                        dataset, num_replicas=world_size, rank=rank
                    )
            else:
                sampler = DistributedProxySampler(sampler, num_replicas=world_size, rank=rank)
            kwargs["sampler"] = sampler
    kwargs.setdefault("pin_memory", "cuda" in comp.device().type)
    logger.info("DataLoader for %s: %s", repr(dataset)[:20].strip(), kwargs)
    return DataLoader(dataset, **kwargs)


def auto_model(model: nn.Module, sync_bn: bool = False, **kwargs: Any) -> nn.Module:
    """Put ``model`` on :func:`device` and wrap it for the run.

    - world size above one: ``DistributedDataParallel`` (on CUDA with ``device_ids`` set to
      this process's GPU); ``sync_bn=True`` first converts batch norms to SyncBatchNorm;
    - one process seeing several GPUs: ``DataParallel``;
    - otherwise the model itself.

    ``kwargs`` go to the wrapping class.

    Example::

        model = idist.auto_model(nn.Linear(10, 2))
    """
    device = comp.device()
    if not all(p.device == device for p in model.parameters()):
        model.to(device)
    if comp.get_world_size() > 1:
        if sync_bn:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        if device.type == "cuda":
            if "device_ids" in kwargs:
                raise ValueError(f"Argument kwargs should not contain 'device_ids', got {kwargs}")
            # The GPU the model sits on (the local rank's, set at initialization).
            kwargs["device_ids"] = [device.index]
        logger.info("Wrap the model in DistributedDataParallel")
        model = nn.parallel.DistributedDataParallel(model, **kwargs)
    elif device.type == "cuda" and torch.cuda.device_count() > 1:
        logger.info("Wrap the model in DataParallel")
        model = nn.parallel.DataParallel(model, **kwargs)
    return model


def auto_optim(optimizer: Optimizer, **kwargs: Any) -> Optimizer:
    """Adapt ``optimizer`` to the run: with torch.distributed nothing is needed (DDP averages
    gradients), so it is returned as is. Kept for code written against ignite.

    Example::

        optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.1))
    """
    return optimizer
