"""Bleu: corpus or sentence-averaged BLEU score with optional smoothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from oxignite.exceptions import NotComputableError
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.nlp.utils import modified_precision

__all__ = ["Bleu"]

_SMOOTHERS = ["no_smooth", "smooth1", "nltk_smooth2", "smooth2"]


def _closest_ref_length(references: Sequence[Sequence[Any]], hyp_len: int) -> int:
    # Ties go to the shorter reference.
    return min((len(r) for r in references), key=lambda n: (abs(n - hyp_len), n))


def _smoothed_precisions(method: str, numerators: torch.Tensor, denominators: torch.Tensor):
    """The modified precisions p_n, smoothed as in Chen & Cherry 2014."""
    nums = [n.item() for n in numerators]
    dens = [d.item() for d in denominators]
    if method == "no_smooth":
        return [n / max(1, d) for n, d in zip(nums, dens)]
    if method == "smooth1":
        return [(n if n != 0 else 0.1) / max(1, d) for n, d in zip(nums, dens)]
    if method == "nltk_smooth2":
        dens = [float(max(1, d)) for d in dens]
    # smooth2: add one to every order but the unigrams.
    return [(n + 1) / (d + 1) if i else n / d for i, (n, d) in enumerate(zip(nums, dens))]


def _check_same_length(candidates: Sequence, references: Sequence) -> None:
    if len(references) != len(candidates):
        raise ValueError(
            "nb of candidates should be equal to nb of reference lists "
            f"({len(candidates)} != {len(references)})"
        )


class Bleu(Metric):
    r"""BLEU score (Papineni et al. 2002): ``bp * exp(sum_n w_n log p_n)``.

    ``update`` takes ``(y_pred, y)``: ``y_pred`` a list of candidate sentences (each a list of
    tokens), ``y`` for each candidate a list of reference sentences.

    Args:
        ngram: largest n-gram order (default 4); weights are uniform.
        smooth: ``"no_smooth"`` (default), ``"smooth1"``, ``"nltk_smooth2"`` or ``"smooth2"``.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        average: ``"macro"`` (mean of sentence BLEU, default) or ``"micro"`` (corpus BLEU).

    Example::

        from oxignite.metrics.nlp import Bleu

        m = Bleu(ngram=4, smooth="smooth1")
        y_pred = "the the the the the the the"
        y = ["the cat is on the mat", "there is a cat on the mat"]
        m.update(([y_pred.split()], [[r.split() for r in y]]))
        print(m.compute())  # tensor(0.0393, dtype=torch.float64)
    """

    def __init__(
        self,
        ngram: int = 4,
        smooth: str = "no_smooth",
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        average: str = "macro",
    ) -> None:
        if ngram <= 0:
            raise ValueError(f"ngram order must be greater than zero (got: {ngram})")
        if smooth not in _SMOOTHERS:
            raise ValueError(f"Smooth is not valid (expected: {_SMOOTHERS}, got: {smooth})")
        if average not in ["macro", "micro"]:
            raise ValueError(f'Average must be either "macro" or "micro" (got: {average})')
        self.ngrams_order = ngram
        self.weights = [1 / ngram] * ngram
        self.smooth = smooth
        self.average = average
        if average == "micro":
            self._state_dict_all_req_keys = (
                "p_numerators",
                "p_denominators",
                "hyp_length_sum",
                "ref_length_sum",
            )
        else:
            self._state_dict_all_req_keys = ("_sum_of_bleu", "_num_sentences")
        super().__init__(output_transform=output_transform, device=device)

    def _n_gram_counter(
        self,
        references: Sequence[Sequence[Sequence[Any]]],
        candidates: Sequence[Sequence[Any]],
        p_numerators: torch.Tensor,
        p_denominators: torch.Tensor,
    ) -> tuple[int, int]:
        """Add the clipped n-gram counts to ``p_*``; return the hypothesis and closest
        reference lengths."""
        _check_same_length(candidates, references)
        hyp_lengths = ref_lengths = 0
        for refs, hyp in zip(references, candidates):
            for n in range(1, self.ngrams_order + 1):
                numerator, denominator = modified_precision(refs, hyp, n)
                p_numerators[n] += numerator
                p_denominators[n] += denominator
            hyp_lengths += len(hyp)
            ref_lengths += _closest_ref_length(refs, len(hyp))
        return hyp_lengths, ref_lengths

    def _brevity_penalty_smoothing(
        self,
        p_numerators: torch.Tensor,
        p_denominators: torch.Tensor,
        hyp_length_sum: int,
        ref_length_sum: int,
    ) -> float:
        # No unigram match means no match at all.
        if p_numerators[1] == 0:
            return 0
        if self.smooth == "no_smooth" and min(p_numerators[1:]).item() == 0:
            return 0
        if hyp_length_sum < ref_length_sum:
            bp = math.exp(1 - ref_length_sum / hyp_length_sum) if hyp_length_sum > 0 else 0.0
        else:
            bp = 1.0
        p_n = _smoothed_precisions(self.smooth, p_numerators[1:], p_denominators[1:])
        return bp * math.exp(math.fsum(w * math.log(p) for w, p in zip(self.weights, p_n)))

    def _corpus_bleu(
        self, references: Sequence[Sequence[Sequence[Any]]], candidates: Sequence[Sequence[Any]]
    ) -> float:
        p_numerators = torch.zeros(self.ngrams_order + 1)
        p_denominators = torch.zeros(self.ngrams_order + 1)
        hyp_len, ref_len = self._n_gram_counter(
            references, candidates, p_numerators, p_denominators
        )
        return self._brevity_penalty_smoothing(p_numerators, p_denominators, hyp_len, ref_len)

    def _sentence_bleu(
        self, references: Sequence[Sequence[Any]], candidates: Sequence[Any]
    ) -> float:
        return self._corpus_bleu([references], [candidates])

    @reinit__is_reduced
    def reset(self) -> None:
        if self.average == "macro":
            self._sum_of_bleu = torch.tensor(0.0, dtype=self._double_dtype, device=self._device)
            self._num_sentences = 0
        else:
            self.p_numerators = torch.zeros(self.ngrams_order + 1, dtype=self._double_dtype)
            self.p_denominators = torch.zeros(self.ngrams_order + 1, dtype=self._double_dtype)
            self.hyp_length_sum = 0
            self.ref_length_sum = 0

    @reinit__is_reduced
    def update(
        self, output: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Sequence[Any]]]]
    ) -> None:
        y_pred, y = output
        if self.average == "macro":
            _check_same_length(y_pred, y)  # ignite silently drops the extra items here
            for refs, hyp in zip(y, y_pred):
                self._sum_of_bleu += self._sentence_bleu(references=refs, candidates=hyp)
                self._num_sentences += 1
        else:
            hyp_len, ref_len = self._n_gram_counter(
                y, y_pred, self.p_numerators, self.p_denominators
            )
            self.hyp_length_sum += hyp_len
            self.ref_length_sum += ref_len

    @sync_all_reduce("_sum_of_bleu", "_num_sentences")
    def _compute_macro(self) -> torch.Tensor:
        if self._num_sentences == 0:
            raise NotComputableError(
                "Bleu must have at least one example before it can be computed."
            )
        return self._sum_of_bleu / self._num_sentences

    @sync_all_reduce("p_numerators", "p_denominators", "hyp_length_sum", "ref_length_sum")
    def _compute_micro(self) -> float:
        return self._brevity_penalty_smoothing(
            self.p_numerators, self.p_denominators, self.hyp_length_sum, self.ref_length_sum
        )

    def compute(self) -> torch.Tensor | float:
        """Macro: a float64 0-d tensor; micro: a float (0 when nothing matches)."""
        if self.average == "macro":
            return self._compute_macro()
        return self._compute_micro()
