"""pytorch-ignite's NLP metrics: ``from oxignite.metrics.nlp import Bleu, Rouge``."""

from oxignite.metrics.nlp.bleu import Bleu
from oxignite.metrics.nlp.character_error_rate import CharacterErrorRate
from oxignite.metrics.nlp.perplexity import Perplexity
from oxignite.metrics.nlp.rouge import Rouge, RougeL, RougeN

__all__ = [
    "Bleu",
    "CharacterErrorRate",
    "Perplexity",
    "Rouge",
    "RougeL",
    "RougeN",
]
