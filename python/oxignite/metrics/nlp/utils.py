"""n-gram helpers shared by Bleu and Rouge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["lcs", "modified_precision", "ngrams"]


def ngrams(sequence: Sequence[Any], n: int) -> Counter:
    """Counter of the ``n``-grams (tuples) of ``sequence``.

    Example::

        assert ngrams("abab", 2) == Counter({("a", "b"): 2, ("b", "a"): 1})
    """
    return Counter(tuple(sequence[i : i + n]) for i in range(len(sequence) - n + 1))


def lcs(seq_a: Sequence[Any], seq_b: Sequence[Any]) -> int:
    """Length of the longest common subsequence of two sequences.

    Example::

        assert lcs("abcde", "ace") == 3
    """
    # One row of the dynamic-programming table at a time.
    previous = [0] * (len(seq_b) + 1)
    for a in seq_a:
        current = [0]
        for j, b in enumerate(seq_b):
            current.append(previous[j] + 1 if a == b else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def modified_precision(
    references: Sequence[Sequence[Any]], candidate: Any, n: int
) -> tuple[int, int]:
    """BLEU's clipped ``n``-gram matches of ``candidate`` against ``references``, and the
    number of ``n``-grams of ``candidate`` (Papineni et al. 2002).

    Example::

        assert modified_precision([["the", "cat"]], ["the", "the"], 1) == (1, 2)
    """
    counts = ngrams(candidate, n)
    max_counts: Counter = Counter()
    for reference in references:
        max_counts |= ngrams(reference, n)
    clipped = counts & max_counts
    return sum(clipped.values()), sum(counts.values())
