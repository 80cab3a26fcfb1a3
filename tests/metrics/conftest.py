"""Shared fixtures for the metrics tests."""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(12)


@pytest.fixture
def echo_engine():
    """Factory of engines whose process function returns the batch, so the data given to
    ``run`` is exactly the sequence of outputs the metrics see."""
    from oxignite.engine import Engine

    def make():
        return Engine(lambda engine, batch: batch)

    return make
