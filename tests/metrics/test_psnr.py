"""PSNR: pytorch-ignite's values, the definition, every accepted dtype/shape, its errors."""

from __future__ import annotations

import math

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics, not_computable

CASES = {
    "float_images": (lambda: torch.rand(21, 3, 8, 8), 1.0),
    "double_vectors": (lambda: torch.rand(21, 10).double(), 1.0),
    "uint8_images": (lambda: torch.randint(0, 256, (21, 1, 6, 6), dtype=torch.uint8), 255),
    "1d_signal": (lambda: torch.rand(21), 1.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_ignite(case):
    make, data_range = CASES[case]
    y = make()
    y_pred = make()
    assert_matches_ignite(lambda m: m.PSNR(data_range=data_range), batches_of(y_pred, y, 5))


def test_definition():
    y = torch.rand(4, 3, 5, 5)
    y_pred = y + 0.1 * torch.randn(4, 3, 5, 5)
    psnr = ox.PSNR(data_range=2.0)
    psnr.update((y_pred, y))
    mse = ((y_pred.double() - y.double()) ** 2).mean(dim=(1, 2, 3))
    expected = (10 * torch.log10(4.0 / (mse + 1e-10))).mean().item()
    assert psnr.compute() == pytest.approx(expected)
    same = ox.PSNR(data_range=1.0)
    same.update((y, y))
    assert same.compute() == pytest.approx(100.0)  # capped by the 1e-10 guard
    assert not math.isinf(same.compute())


def test_errors_as_ignite():
    for module in (ox, ignite_metrics):
        with pytest.raises(TypeError, match="same data type"):
            module.PSNR(1.0).update((torch.rand(2, 3), torch.rand(2, 3).double()))
        with pytest.raises(ValueError, match="same shape"):
            module.PSNR(1.0).update((torch.rand(2, 3), torch.rand(2, 4)))
        with pytest.raises(not_computable(module), match="PSNR must have at least one example"):
            module.PSNR(1.0).compute()
