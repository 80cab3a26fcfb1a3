"""SubgroupMetric and SubgroupDifference: a base metric evaluated per subgroup."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced

__all__ = ["SubgroupDifference", "SubgroupMetric"]


class _SubgroupBase(Metric):
    """Keeps one copy of ``base_metric`` per group and feeds each the rows of its group.

    ``update`` takes ``(y_pred, y, group_labels)`` (or a mapping with these keys);
    ``group_labels`` has one label per row.
    """

    required_output_keys = ("y_pred", "y", "group_labels")

    def __init__(
        self,
        base_metric: Metric,
        groups: Sequence[Any],
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        if not isinstance(base_metric, Metric):
            raise TypeError(
                f"Argument base_metric should be a Metric, but given {type(base_metric)}"
            )
        self._base_metric = base_metric
        self._user_groups = list(groups)
        self._metrics: dict[Any, Metric] = {
            g: copy.deepcopy(base_metric) for g in self._user_groups
        }
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        for metric in self._metrics.values():
            metric.reset()

    @reinit__is_reduced
    def update(self, output: Sequence[torch.Tensor]) -> None:
        y_pred, y, group_labels = (o.detach() for o in output[:3])
        if y_pred.shape[0] != y.shape[0] or y_pred.shape[0] != group_labels.shape[0]:
            raise ValueError("y_pred, y, and group_labels must have the same batch size.")
        for group, metric in self._metrics.items():
            rows = group_labels == group
            if rows.any():
                metric.update((y_pred[rows], y[rows]))

    def _compute_groups(self) -> dict[Any, Any]:
        """Value of every group that has data (groups without data are left out)."""
        results = {}
        for group, metric in self._metrics.items():
            try:
                results[group] = metric.compute()
            except NotComputableError:
                continue
        return results

    def state_dict(self) -> OrderedDict:
        state = super().state_dict()
        state["_metrics"] = {str(g): m.state_dict() for g, m in self._metrics.items()}
        return state

    def load_state_dict(self, state_dict: Mapping) -> None:
        state = dict(state_dict)
        per_group = state.pop("_metrics")
        super().load_state_dict(state)
        by_name = {str(g): m for g, m in self._metrics.items()}
        for name, group_state in per_group.items():
            if name in by_name:
                by_name[name].load_state_dict(group_state)


class SubgroupMetric(_SubgroupBase):
    r"""``base_metric`` computed separately for each group: ``{group: value}``.

    Groups without data are left out of the result.

    Args:
        base_metric: the metric to evaluate per group (deep-copied for every group).
        groups: the group labels to report.
        output_transform: turns the engine's output into ``(y_pred, y, group_labels)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics import Accuracy
        from oxignite.metrics.fairness import SubgroupMetric

        metric = SubgroupMetric(Accuracy(), groups=[0, 1])
        y_pred = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        metric.update((y_pred, torch.tensor([0, 1, 1]), torch.tensor([0, 1, 1])))
        assert metric.compute() == {0: 1.0, 1: 0.5}
    """

    def compute(self) -> dict[Any, Any]:
        return self._compute_groups()


class SubgroupDifference(_SubgroupBase):
    r"""Largest gap of ``base_metric`` between groups: ``max - min`` over the groups (for
    vector values, the largest gap over the components).

    Needs data from at least two groups; takes the arguments of :class:`SubgroupMetric`.

    Example::

        from oxignite.metrics import Accuracy
        from oxignite.metrics.fairness import SubgroupDifference

        metric = SubgroupDifference(Accuracy(), groups=[0, 1])
        y_pred = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        metric.update((y_pred, torch.tensor([0, 1, 1]), torch.tensor([0, 1, 1])))
        assert metric.compute() == 0.5
    """

    def compute(self) -> float:
        results = self._compute_groups()
        if len(results) == 0:
            raise NotComputableError(
                "Fairness metrics must have at least one example before it can be computed."
            )
        if len(results) < 2:
            raise NotComputableError(
                "Fairness metrics require at least two unique subgroups to compute a disparity."
            )
        values = list(results.values())
        if all(isinstance(v, torch.Tensor) for v in values):
            stacked = torch.stack(values)
            gaps = stacked.max(dim=0).values - stacked.min(dim=0).values
            return float(gaps.max().item())
        return float(max(values) - min(values))
