"""SSIM: pytorch-ignite's values over 2-d and 3-d images, Gaussian and uniform windows, and
its argument/input errors."""

from __future__ import annotations

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_matches_ignite, batches_of, ignite_metrics, not_computable

CASES = {
    "2d_default": ((7, 3, 24, 24), {"data_range": 1.0}),
    "2d_uniform": ((7, 1, 20, 16), {"data_range": 1.0, "gaussian": False, "kernel_size": 7}),
    "2d_per_dim": ((7, 2, 20, 20), {"data_range": 2.0, "kernel_size": [5, 7], "sigma": [1.0, 2.0]}),
    "2d_k": ((7, 1, 16, 16), {"data_range": 1.0, "k1": 0.02, "k2": 0.05}),
    "3d": ((5, 1, 12, 12, 12), {"data_range": 1.0, "ndims": 3, "kernel_size": 5}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_ignite(case):
    shape, kwargs = CASES[case]
    y = torch.rand(*shape)
    y_pred = (y + 0.2 * torch.randn(*shape)).clamp(0, 1)
    assert_matches_ignite(lambda m: m.SSIM(**kwargs), batches_of(y_pred, y, 3), rel=1e-5)


def test_integer_images_and_identity():
    y = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    y_pred = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    assert_matches_ignite(lambda m: m.SSIM(data_range=255), [(y_pred, y)], rel=1e-5)
    same = ox.SSIM(data_range=255)
    same.update((y, y))
    assert same.compute() == pytest.approx(1.0)


ARG_ERRORS = [
    ({"ndims": 4}, "Expected ndims to be 2 or 3"),
    ({"kernel_size": [11, 11, 11]}, "Expected kernel_size to have length of 2"),
    ({"kernel_size": 1.5}, "Argument kernel_size should be either int"),
    ({"sigma": [1.5]}, "Expected sigma to have length of 2"),
    ({"sigma": 2}, "Argument sigma should be either float"),
    ({"kernel_size": 4}, "Expected kernel_size to have odd positive number"),
    ({"sigma": -1.0}, "Expected sigma to have positive number"),
]


@pytest.mark.parametrize(("kwargs", "message"), ARG_ERRORS, ids=[m for _, m in ARG_ERRORS])
def test_argument_errors_as_ignite(kwargs, message):
    for module in (ox, ignite_metrics):
        with pytest.raises(ValueError, match=message):
            module.SSIM(data_range=1.0, **kwargs)


def test_input_errors_as_ignite():
    for module in (ox, ignite_metrics):
        with pytest.raises(TypeError, match="same data type"):
            module.SSIM(1.0).update((torch.rand(1, 1, 12, 12), torch.rand(1, 1, 12, 12).double()))
        with pytest.raises(ValueError, match="same shape"):
            module.SSIM(1.0).update((torch.rand(1, 1, 12, 12), torch.rand(1, 1, 12, 13)))
        with pytest.raises(ValueError, match="BxCxHxW or BxCxDxHxW"):
            module.SSIM(1.0).update((torch.rand(1, 12, 12), torch.rand(1, 12, 12)))
        with pytest.raises(not_computable(module), match="SSIM must have at least one example"):
            module.SSIM(1.0).compute()
