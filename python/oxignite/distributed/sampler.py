"""Samplers that split a data set between the processes of a distributed run."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import Sampler
from torch.utils.data.distributed import DistributedSampler

from oxignite.distributed import comp

__all__ = ["DistributedProxySampler", "UnpaddedDistributedSampler"]


class UnpaddedDistributedSampler(Sampler):
    """Shard a data set between ranks without repeating any sample: exact distributed evaluation.

    Rank ``r`` of ``W`` gets indices ``r, r + W, r + 2W, ...``, so shards differ in size by at
    most one and together hold every sample exactly once. torch's ``DistributedSampler`` instead
    pads the data set with repeated samples until it divides evenly, so metrics summed over ranks
    count those samples twice; with this sampler they equal the single-process figure.

    Uneven shards mean ranks may run different numbers of iterations, so use it where no
    per-iteration collective happens (evaluation), not for DistributedDataParallel training.
    Every rank needs at least one sample: the data set should hold ``num_replicas`` or more.
    ``set_epoch`` is accepted (and only recorded: the order does not change).

    Example::

        sampler = UnpaddedDistributedSampler(val_set, num_replicas=2, rank=1)
        list(sampler)[:3]  # [1, 3, 5]
        loader = DataLoader(val_set, batch_size=64, sampler=sampler)
    """

    def __init__(
        self, dataset, num_replicas: int | None = None, rank: int | None = None
    ) -> None:
        num_replicas = comp.get_world_size() if num_replicas is None else num_replicas
        rank = comp.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"num_replicas should be positive, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank should be in [0, {num_replicas - 1}], got {rank}")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = False

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, len(self.dataset), self.num_replicas))

    def __len__(self) -> int:
        return len(range(self.rank, len(self.dataset), self.num_replicas))

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch (ignite's Engine calls it at each epoch start)."""
        self.epoch = epoch


class DistributedProxySampler(DistributedSampler):
    """Wrap any sized sampler so each rank draws its own share of the sampler's indices.

    The wrapped sampler is re-seeded with the epoch (``torch.manual_seed(epoch)``) so every rank
    draws the same sequence, then rank ``r`` keeps every ``num_replicas``-th index from ``r``.
    Shards have equal sizes (as with torch's ``DistributedSampler``): the sequence is topped up
    with further draws of the wrapped sampler.

    Example::

        weighted = WeightedRandomSampler(weights, num_samples=1000)
        sampler = DistributedProxySampler(weighted, num_replicas=2, rank=0)
        sampler.set_epoch(3)
    """

    def __init__(
        self, sampler: Sampler, num_replicas: int | None = None, rank: int | None = None
    ) -> None:
        if not isinstance(sampler, Sampler):
            raise TypeError(
                f"Argument sampler should be instance of torch Sampler, but given: {type(sampler)}"
            )
        if isinstance(sampler, (DistributedSampler, UnpaddedDistributedSampler)):
            raise TypeError("Argument sampler must not be a distributed sampler already")
        if not hasattr(sampler, "__len__"):
            raise TypeError("Argument sampler should have length")
        num_replicas = comp.get_world_size() if num_replicas is None else num_replicas
        rank = comp.get_rank() if rank is None else rank
        super().__init__(sampler, num_replicas=num_replicas, rank=rank, shuffle=False)
        self.sampler = sampler
        self.num_samples = math.ceil(len(sampler) / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        # Same seed on every rank: the wrapped sampler yields the same order everywhere.
        torch.manual_seed(self.epoch)
        indices: list = []
        while len(indices) < self.total_size:
            indices += list(self.sampler)
        indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])
