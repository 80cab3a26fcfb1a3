"""Input checks and the shared base of the regression metrics.

Every regression metric takes ``(y_pred, y)`` of shape ``(N,)`` or ``(N, 1)``, float dtype.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.metric import Metric, detaches_inputs, reinit__is_reduced, sync_all_reduce

_FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)


def _check_output_shapes(output: Sequence[torch.Tensor]) -> None:
    y_pred, y = output
    if not (y_pred.ndimension() == 1 or (y_pred.ndimension() == 2 and y_pred.shape[1] == 1)):
        raise ValueError(f"Input y_pred should have shape (N,) or (N, 1), but given {y_pred.shape}")
    if not (y.ndimension() == 1 or (y.ndimension() == 2 and y.shape[1] == 1)):
        raise ValueError(f"Input y should have shape (N,) or (N, 1), but given {y.shape}")
    if y_pred.shape != y.shape:
        raise ValueError(
            f"Input data shapes should be the same, but given {y_pred.shape} and {y.shape}"
        )


def _check_output_types(output: Sequence[torch.Tensor]) -> None:
    y_pred, y = output
    if y_pred.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"Input y_pred dtype should be float 16, 32 or 64, but given {y_pred.dtype}"
        )
    if y.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"Input y dtype should be float 16, 32 or 64, but given {y.dtype}")


def _torch_median(values: torch.Tensor) -> float:
    """Median as numpy defines it: the mean of the two middle values for an even count."""
    if values.device.type == "mps":  # kthvalue is not implemented on MPS
        values = values.cpu()
    values = values.view(-1)
    n = len(values)
    upper = torch.kthvalue(values, n // 2 + 1)[0]
    if n % 2 == 0:
        return float((torch.kthvalue(values, n // 2)[0] + upper) / 2)
    return float(upper)


def _squeeze_column(t: torch.Tensor) -> torch.Tensor:
    return t.squeeze(dim=-1) if t.ndimension() == 2 and t.shape[1] == 1 else t


class _BaseRegression(Metric):
    """Checks shapes and dtypes, flattens ``(N, 1)`` to ``(N,)``, then calls ``_update``."""

    @detaches_inputs
    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        _check_output_shapes(output)
        _check_output_types(output)
        y_pred, y = output[0].detach(), output[1].detach()
        self._update((_squeeze_column(y_pred), _squeeze_column(y)))

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        raise NotImplementedError


class _SummedError(_BaseRegression):
    """Sums a per-sample error over all batches; subclasses define ``_errors``.

    ``_mean``: True divides by the number of samples (a mean), False returns the plain sum.
    """

    _mean = True
    _state_dict_all_req_keys = ("_sum_of_errors", "_num_examples")

    def _errors(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @reinit__is_reduced
    def reset(self) -> None:
        self._sum_of_errors = torch.tensor(0.0, device=self._device)
        self._num_examples = 0

    def _update(self, output: tuple[torch.Tensor, torch.Tensor]) -> None:
        y_pred, y = output
        self._sum_of_errors += on_device(torch.sum(self._errors(y_pred, y)), self._device)
        self._num_examples += y.shape[0]

    @sync_all_reduce("_sum_of_errors", "_num_examples")
    def compute(self) -> float:
        if not self._mean:
            return self._sum_of_errors.item()
        if self._num_examples == 0:
            raise NotComputableError(
                f"{type(self).__name__} must have at least one example before it can be computed."
            )
        return self._sum_of_errors.item() / self._num_examples


def _check_no_zero(y: torch.Tensor) -> None:
    if (y == 0).any():
        raise NotComputableError("The ground truth has 0.")
