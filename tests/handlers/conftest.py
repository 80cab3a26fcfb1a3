"""Shared fixtures for the handler tests: single-threaded torch, fixed seeds, tiny models."""

from __future__ import annotations

import random

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    torch.manual_seed(0)


def make_data(n_batches: int = 4, batch_size: int = 8, seed: int = 0) -> list:
    """Deterministic regression batches ``(x, y)`` with ``y = x @ w + noise``."""
    g = torch.Generator().manual_seed(seed)
    w = torch.tensor([[1.5], [-2.0], [0.5]])
    data = []
    for _ in range(n_batches):
        x = torch.randn(batch_size, 3, generator=g)
        y = x @ w + 0.1 * torch.randn(batch_size, 1, generator=g)
        data.append((x, y))
    return data


def make_update(model: torch.nn.Module, optimizer: torch.optim.Optimizer):
    """A plain supervised training step returning the loss as a float."""
    loss_fn = torch.nn.MSELoss()

    def update(engine, batch):
        model.train()
        x, y = batch
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return update
