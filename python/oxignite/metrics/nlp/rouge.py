"""Rouge, RougeN and RougeL: n-gram and longest-common-subsequence overlap scores."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.nlp.bleu import _check_same_length
from oxignite.metrics.nlp.utils import lcs, ngrams

__all__ = ["Rouge", "RougeL", "RougeN"]


class Score(NamedTuple):
    """Matched, candidate and reference counts of one candidate/reference pair."""

    match: int
    candidate: int
    reference: int

    def precision(self) -> float:
        return self.match / self.candidate if self.candidate > 0 else 0

    def recall(self) -> float:
        return self.match / self.reference if self.reference > 0 else 0


def compute_ngram_scores(candidate: Sequence[Any], reference: Sequence[Any], n: int = 4) -> Score:
    """:class:`Score` of the ``n``-gram overlap of ``candidate`` and ``reference``."""
    cand, ref = ngrams(candidate, n), ngrams(reference, n)
    return Score(
        match=sum((cand & ref).values()),
        candidate=sum(cand.values()),
        reference=sum(ref.values()),
    )


def compute_lcs_scores(candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
    """:class:`Score` of the longest common subsequence of ``candidate`` and ``reference``."""
    return Score(
        match=lcs(candidate, reference), candidate=len(candidate), reference=len(reference)
    )


class MultiRefReducer(metaclass=ABCMeta):
    """Turns the scores of one candidate against several references into one score."""

    @abstractmethod
    def __call__(self, scores: Sequence[Score]) -> Score:
        pass


class MultiRefAverageReducer(MultiRefReducer):
    """Sums the counts over the references."""

    def __call__(self, scores: Sequence[Score]) -> Score:
        return Score(
            match=sum(s.match for s in scores),
            candidate=sum(s.candidate for s in scores),
            reference=sum(s.reference for s in scores),
        )


class MultiRefBestReducer(MultiRefReducer):
    """Keeps the score with the best recall."""

    def __call__(self, scores: Sequence[Score]) -> Score:
        return max(scores, key=lambda s: s.recall())


_MULTIREF = ["best", "average"]


class _BaseRouge(Metric):
    """Averages precision, recall and F over candidates; ``_compute_score`` scores one pair."""

    _state_dict_all_req_keys = ("_recall", "_precision", "_fmeasure", "_num_examples")

    def __init__(
        self,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        super().__init__(output_transform=output_transform, device=device)
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in interval [0, 1] (got : {alpha})")
        if multiref not in _MULTIREF:
            raise ValueError(f"multiref : valid values are {_MULTIREF} (got : {multiref})")
        self._alpha = alpha
        self._multiref = multiref
        self._multiref_reducer = (
            MultiRefAverageReducer() if multiref == "average" else MultiRefBestReducer()
        )

    @reinit__is_reduced
    def reset(self) -> None:
        self._recall = 0.0
        self._precision = 0.0
        self._fmeasure = 0.0
        self._num_examples = 0

    @reinit__is_reduced
    def update(
        self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]
    ) -> None:
        candidates, references = output
        _check_same_length(candidates, references)  # ignite silently drops the extra items
        for candidate, refs in zip(candidates, references):
            score = self._multiref_reducer([self._compute_score(candidate, ref) for ref in refs])
            precision, recall = score.precision(), score.recall()
            self._precision += precision
            self._recall += recall
            if precision * recall > 0:
                alpha = self._alpha
                self._fmeasure += precision * recall / ((1 - alpha) * precision + alpha * recall)
            self._num_examples += 1

    @sync_all_reduce("_precision", "_recall", "_fmeasure", "_num_examples")
    def compute(self) -> Mapping:
        if self._num_examples == 0:
            raise NotComputableError(
                "Rouge metric must have at least one example before being computed"
            )
        name, n = self._metric_name(), self._num_examples
        return {
            f"{name}-P": float(self._precision / n),
            f"{name}-R": float(self._recall / n),
            f"{name}-F": float(self._fmeasure / n),
        }

    @abstractmethod
    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        pass

    @abstractmethod
    def _metric_name(self) -> str:
        pass


class RougeN(_BaseRouge):
    r"""ROUGE-N (Lin 2004): n-gram precision, recall and F-measure, averaged over candidates.

    ``update`` takes ``(y_pred, y)``: candidates (token lists) and, per candidate, a list of
    references. ``compute`` returns ``{"Rouge-N-P": ..., "Rouge-N-R": ..., "Rouge-N-F": ...}``.

    Args:
        ngram: n-gram order (default 4).
        multiref: ``"average"`` (sum the counts over references, default) or ``"best"``
            (the reference with the best recall).
        alpha: F-measure weight in [0, 1]: ``P R / ((1 - alpha) P + alpha R)``.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.

    Example::

        from oxignite.metrics.nlp import RougeN

        m = RougeN(ngram=2, multiref="best")
        m.update(([["the", "cat", "sat"]], [[["the", "cat", "ran"], ["a", "cat", "sat"]]]))
        print(m.compute())  # {'Rouge-2-P': 0.5, 'Rouge-2-R': 0.5, 'Rouge-2-F': 0.5}
    """

    def __init__(
        self,
        ngram: int = 4,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        super().__init__(multiref, alpha, output_transform, device)
        if ngram < 1:
            raise ValueError(f"ngram order must be greater than zero (got : {ngram})")
        self._ngram = ngram

    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        return compute_ngram_scores(candidate=candidate, reference=reference, n=self._ngram)

    def _metric_name(self) -> str:
        return f"Rouge-{self._ngram}"


class RougeL(_BaseRouge):
    r"""ROUGE-L (Lin 2004): longest-common-subsequence precision, recall and F-measure.

    Same inputs and arguments as :class:`RougeN` (without ``ngram``); ``compute`` returns
    ``{"Rouge-L-P": ..., "Rouge-L-R": ..., "Rouge-L-F": ...}``.

    Example::

        from oxignite.metrics.nlp import RougeL

        m = RougeL()
        m.update(([["the", "cat", "sat"]], [[["the", "big", "cat", "sat"]]]))
        print(m.compute())  # {'Rouge-L-P': 1.0, 'Rouge-L-R': 0.75, 'Rouge-L-F': 0.75}
    """

    def __init__(
        self,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        super().__init__(multiref, alpha, output_transform, device)

    def _compute_score(self, candidate: Sequence[Any], reference: Sequence[Any]) -> Score:
        return compute_lcs_scores(candidate=candidate, reference=reference)

    def _metric_name(self) -> str:
        return "Rouge-L"


class Rouge(Metric):
    r"""Several ROUGE variants at once; ``compute`` merges their result dictionaries.

    Args:
        variants: integers (ROUGE-N orders) and/or ``"L"``; default ``[1, 2, 4, "L"]``.
        multiref: as for :class:`RougeN`.
        alpha: as for :class:`RougeN`.
        output_transform: as for :class:`RougeN`.
        device: as for :class:`RougeN`.

    Example::

        from oxignite.metrics.nlp import Rouge

        m = Rouge(variants=["L", 2], multiref="best")
        m.update(([["the", "cat", "sat"]], [[["the", "cat", "ran"]]]))
        scores = m.compute()  # keys Rouge-L-P, Rouge-L-R, Rouge-L-F, Rouge-2-P, ...
    """

    _state_dict_all_req_keys = ("internal_metrics",)

    def __init__(
        self,
        variants: Sequence[str | int] | None = None,
        multiref: str = "average",
        alpha: float = 0,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        if variants is None or len(variants) == 0:
            variants = [1, 2, 4, "L"]
        self.internal_metrics: list[_BaseRouge] = []
        for variant in variants:
            if isinstance(variant, str) and variant == "L":
                metric: _BaseRouge = RougeL(multiref, alpha, output_transform, device)
            elif isinstance(variant, int):
                metric = RougeN(variant, multiref, alpha, output_transform, device)
            else:
                raise ValueError("variant must be 'L' or integer greater to zero")
            self.internal_metrics.append(metric)
        super().__init__(output_transform=output_transform, device=device)

    @reinit__is_reduced
    def reset(self) -> None:
        for metric in self.internal_metrics:
            metric.reset()

    @reinit__is_reduced
    def update(
        self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]
    ) -> None:
        for metric in self.internal_metrics:
            metric.update(output)

    def compute(self) -> Mapping:
        results: dict = {}
        for metric in self.internal_metrics:
            results.update(metric.compute())
        return results
