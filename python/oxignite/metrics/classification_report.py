"""Per-class precision/recall/F-beta and their macro averages, as one metric."""

from __future__ import annotations

import json
from collections.abc import Callable

import torch

from oxignite.metrics.fbeta import Fbeta
from oxignite.metrics.metric import _CPU, _identity
from oxignite.metrics.metrics_lambda import MetricsLambda
from oxignite.metrics.precision import Precision
from oxignite.metrics.recall import Recall

__all__ = ["ClassificationReport"]


def ClassificationReport(
    beta: int = 1,
    output_dict: bool = False,
    output_transform: Callable = _identity,
    device: str | torch.device = _CPU,
    is_multilabel: bool = False,
    labels: list[str] | None = None,
    metrics_result_mode: str = "both",
) -> MetricsLambda:
    """Precision, recall and F-beta per class plus a ``"macro avg"`` entry, as a JSON string
    (or a dict with ``output_dict=True``), keyed by class index or by ``labels[index]``.

    Args:
        beta: weight of recall in the F-beta score (the key is ``f"f{beta}-score"``).
        output_dict: return a dict instead of its JSON string.
        output_transform: see :class:`~oxignite.metrics.Metric`.
        device: device of the accumulated state.
        is_multilabel: multilabel ``(N, C, ...)`` 0/1 inputs.
        labels: class names, in class index order.
        metrics_result_mode: see :class:`~oxignite.metrics.Metric`.

    Example::

        import torch
        from oxignite.metrics import ClassificationReport

        report = ClassificationReport(output_dict=True)
        report.update((torch.tensor([[0.9, 0.1], [0.2, 0.8]]), torch.tensor([0, 0])))
        print(report.compute()["macro avg"])
    """
    precision = Precision(
        average=False, is_multilabel=is_multilabel, output_transform=output_transform, device=device
    )
    recall = Recall(
        average=False, is_multilabel=is_multilabel, output_transform=output_transform, device=device
    )
    fbeta = Fbeta(beta, average=False, precision=precision, recall=recall)
    score_key = f"f{beta}-score"

    def label(idx: int) -> str:
        return labels[idx] if labels else str(idx)

    def report(re, pr, f, a_re, a_pr, a_f):
        if pr.shape != re.shape:
            raise ValueError(
                "Internal error: Precision and Recall have mismatched shapes: "
                f"{pr.shape} vs {re.shape}. Please, open an issue "
                "with a reference on this error. Thank you!"
            )
        result = {
            label(idx): {"precision": p.item(), "recall": re[idx].item(), score_key: f[idx].item()}
            for idx, p in enumerate(pr)
        }
        result["macro avg"] = {
            "precision": a_pr.item(),
            "recall": a_re.item(),
            score_key: a_f.item(),
        }
        return result if output_dict else json.dumps(result)

    return MetricsLambda(
        report,
        recall,
        precision,
        fbeta,
        recall.mean(),
        precision.mean(),
        fbeta.mean(),
        metrics_result_mode=metrics_result_mode,
    )
