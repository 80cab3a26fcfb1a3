"""Mutual information between inputs and predicted classes."""

from __future__ import annotations

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics._tensor_ops import on_device
from oxignite.metrics.entropy import Entropy
from oxignite.metrics.metric import reinit__is_reduced, sync_all_reduce

__all__ = ["MutualInformation"]


class MutualInformation(Entropy):
    """``H(mean_i p_i) - mean_i H(p_i)`` (clamped at 0), with ``p_i = softmax(y_pred_i)``:
    entropy of the marginal class distribution minus the mean conditional entropy.

    Inputs: as :class:`~oxignite.metrics.Entropy`.

    Example::

        import torch
        from oxignite.metrics import MutualInformation

        mi = MutualInformation()
        mi.update((torch.tensor([[10.0, 0.0], [0.0, 10.0]]), torch.zeros(2)))
        print(mi.compute())  # close to log(2)
    """

    # ignite 0.5.5 requires (and saves) the class probabilities only, so a state restored
    # from its file lacks Entropy's sums: they are saved as extra keys (see Metric), and an
    # ignite file, without them, continues as ignite would from it.
    _state_dict_all_req_keys = ("_sum_of_probabilities",)
    _state_dict_extra_keys = ("_sum_of_entropies", "_num_examples")

    @reinit__is_reduced
    def reset(self) -> None:
        super().reset()
        self._sum_of_probabilities = torch.tensor(0.0, device=self._device)

    def _update(self, prob: torch.Tensor, log_prob: torch.Tensor) -> None:
        super()._update(prob, log_prob)
        # Not +=: the 0-d initial value becomes a per-class vector.
        self._sum_of_probabilities = self._sum_of_probabilities + on_device(
            prob.sum(dim=0), self._device
        )

    @sync_all_reduce("_sum_of_probabilities", "_sum_of_entropies", "_num_examples")
    def compute(self) -> float:
        n = self._num_examples
        if n == 0:
            raise NotComputableError(
                "MutualInformation must have at least one example before it can be computed."
            )
        marginal = self._sum_of_probabilities / n
        marginal_entropy = -(marginal * torch.log(marginal)).sum()
        mi = marginal_entropy - self._sum_of_entropies / n
        return float(torch.clamp(mi, min=0.0).item())
