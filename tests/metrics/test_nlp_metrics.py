"""oxignite.metrics.nlp against pytorch-ignite on seeded random corpora."""

from __future__ import annotations

import random

import pytest
import torch
from ignite.exceptions import NotComputableError as IgniteNotComputableError
from ignite.metrics import nlp as ignite_nlp
from ignite.metrics.nlp import utils as ignite_utils
from oxignite.exceptions import NotComputableError
from oxignite.metrics import nlp
from oxignite.metrics.nlp import utils

VOCAB = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "is", "there"]


def _corpus(seed, n=12, max_refs=3):
    rng = random.Random(seed)

    def sentence():
        return [rng.choice(VOCAB) for _ in range(rng.randint(1, 9))]

    candidates = [sentence() for _ in range(n)]
    references = [[sentence() for _ in range(rng.randint(1, max_refs))] for _ in range(n)]
    return candidates, references


def _feed(metric, candidates, references, batch_size=5):
    for i in range(0, len(candidates), batch_size):
        metric.update((candidates[i : i + batch_size], references[i : i + batch_size]))
    return metric.compute()


def _as_float(x):
    return float(x.item()) if isinstance(x, torch.Tensor) else float(x)


def test_same_names_as_ignite():
    assert sorted(nlp.__all__) == sorted(ignite_nlp.__all__)
    assert sorted(utils.__all__) == sorted(ignite_utils.__all__)


def test_utils_same_as_ignite():
    for seed in range(20):
        (cand, *_), ((ref, *others), *_) = _corpus(seed)
        refs = [ref, *others]
        assert utils.lcs(cand, ref) == ignite_utils.lcs(cand, ref)
        for n in (1, 2, 3):
            assert utils.ngrams(cand, n) == ignite_utils.ngrams(cand, n)
            assert utils.modified_precision(refs, cand, n) == ignite_utils.modified_precision(
                refs, cand, n
            )
    assert utils.lcs("abcde", "ace") == 3 and utils.lcs("", "abc") == 0


@pytest.mark.parametrize("smooth", ["no_smooth", "smooth1", "nltk_smooth2", "smooth2"])
@pytest.mark.parametrize("average", ["macro", "micro"])
@pytest.mark.parametrize("ngram", [1, 2, 4])
def test_bleu_same_as_ignite(smooth, average, ngram):
    for seed in range(3):
        candidates, references = _corpus(seed)
        ours = _feed(nlp.Bleu(ngram, smooth, average=average), candidates, references)
        theirs = _feed(ignite_nlp.Bleu(ngram, smooth, average=average), candidates, references)
        assert type(ours) is type(theirs) or average == "micro"
        # ignite divides by a float32 tensor for "no_smooth": equal to float32 precision.
        assert _as_float(ours) == pytest.approx(_as_float(theirs), rel=1e-6, abs=1e-12)


def test_bleu_documented_example():
    m = nlp.Bleu(ngram=4, smooth="smooth1")
    y = ["the cat is on the mat", "there is a cat on the mat"]
    m.update(([("the " * 7).split()], [[r.split() for r in y]]))
    value = m.compute()
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(0.0393, abs=5e-5)


def test_bleu_errors():
    with pytest.raises(ValueError, match=r"ngram order must be greater than zero \(got: 0\)"):
        nlp.Bleu(ngram=0)
    with pytest.raises(ValueError, match="Smooth is not valid"):
        nlp.Bleu(smooth="laplace")
    with pytest.raises(ValueError, match='Average must be either "macro" or "micro"'):
        nlp.Bleu(average="weighted")
    with pytest.raises(NotComputableError, match="Bleu must have at least one example"):
        nlp.Bleu().compute()
    for average in ("macro", "micro"):
        with pytest.raises(ValueError, match=r"nb of candidates should be equal .* \(2 != 1\)"):
            nlp.Bleu(average=average).update(([["a"], ["b"]], [[["a"]]]))


@pytest.mark.parametrize("multiref", ["average", "best"])
@pytest.mark.parametrize("alpha", [0, 0.5, 1])
def test_rouge_same_as_ignite(multiref, alpha):
    candidates, references = _corpus(7)
    for ours, theirs in [
        (nlp.RougeN(2, multiref, alpha), ignite_nlp.RougeN(2, multiref, alpha)),
        (nlp.RougeN(1, multiref, alpha), ignite_nlp.RougeN(1, multiref, alpha)),
        (nlp.RougeL(multiref, alpha), ignite_nlp.RougeL(multiref, alpha)),
        (nlp.Rouge(None, multiref, alpha), ignite_nlp.Rouge(None, multiref, alpha)),
        (nlp.Rouge(["L", 3], multiref, alpha), ignite_nlp.Rouge(["L", 3], multiref, alpha)),
    ]:
        a = _feed(ours, candidates, references)
        b = _feed(theirs, candidates, references)
        assert list(a) == list(b)
        assert a == pytest.approx(b, rel=1e-12)


def test_rouge_documented_examples():
    m = nlp.RougeN(ngram=2, multiref="best")
    m.update(([["the", "cat", "sat"]], [[["the", "cat", "ran"], ["a", "cat", "sat"]]]))
    assert m.compute() == {"Rouge-2-P": 0.5, "Rouge-2-R": 0.5, "Rouge-2-F": 0.5}
    m = nlp.RougeL()
    m.update(([["the", "cat", "sat"]], [[["the", "big", "cat", "sat"]]]))
    assert m.compute() == {"Rouge-L-P": 1.0, "Rouge-L-R": 0.75, "Rouge-L-F": 0.75}


def test_rouge_errors():
    with pytest.raises(ValueError, match=r"alpha must be in interval \[0, 1\] \(got : 2\)"):
        nlp.RougeN(alpha=2)
    with pytest.raises(ValueError, match="multiref : valid values are"):
        nlp.RougeL(multiref="worst")
    with pytest.raises(ValueError, match="ngram order must be greater than zero"):
        nlp.RougeN(ngram=0)
    with pytest.raises(ValueError, match="variant must be 'L' or integer"):
        nlp.Rouge(variants=["X"])
    with pytest.raises(NotComputableError, match="Rouge metric must have at least one example"):
        nlp.Rouge().compute()
    with pytest.raises(ValueError, match=r"nb of candidates should be equal .* \(1 != 2\)"):
        nlp.RougeL().update(([["a"]], [[["a"]], [["b"]]]))


def test_rouge_state_dict_round_trip():
    candidates, references = _corpus(3)
    source = nlp.Rouge(variants=[1, "L"])
    expected = _feed(source, candidates, references)
    restored = nlp.Rouge(variants=[1, "L"])
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == expected


def _strings(seed, n=15):
    rng = random.Random(seed)
    letters = "abcde "
    return ["".join(rng.choice(letters) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_cer_same_as_ignite():
    preds, refs = _strings(1), _strings(2)
    ours, theirs = nlp.CharacterErrorRate(), ignite_nlp.CharacterErrorRate()
    for i in range(0, len(preds), 4):
        ours.update((preds[i : i + 4], refs[i : i + 4]))
        theirs.update((preds[i : i + 4], refs[i : i + 4]))
    ours.update(("kitten", "sitting"))
    theirs.update(("kitten", "sitting"))
    assert ours.compute() == pytest.approx(theirs.compute(), rel=1e-6)


def test_cer_values_and_errors():
    cer = nlp.CharacterErrorRate()
    cer.update(("kitten", "sitting"))  # 3 edits, 7 reference characters
    assert cer.compute() == pytest.approx(3 / 7)
    empty = nlp.CharacterErrorRate()
    empty.update((["", ""], ["", ""]))
    assert empty.compute() == 0.0
    empty.update((["x"], [""]))
    assert empty.compute() == 1.0
    with pytest.raises(NotComputableError, match="CharacterErrorRate must have at least one"):
        nlp.CharacterErrorRate().compute()
    with pytest.raises(TypeError, match="y_pred and y must be str or list"):
        nlp.CharacterErrorRate().update((1, "a"))
    with pytest.raises(TypeError, match="All elements of y_pred and y must be strings."):
        nlp.CharacterErrorRate().update((["a", 2], ["a", "b"]))
    with pytest.raises(ValueError, match="y_pred and y must have the same length"):
        nlp.CharacterErrorRate().update((["a"], ["a", "b"]))


@pytest.mark.parametrize(
    ("pred_shape", "target_shape"), [((8, 5), (8,)), ((4, 5, 6), (4, 6)), ((2, 5, 3, 2), (2, 3, 2))]
)
def test_perplexity_same_as_ignite(pred_shape, target_shape):
    logits = torch.randn(pred_shape)
    target = torch.randint(0, pred_shape[1], target_shape)
    target.view(-1)[::3] = -100  # ignored tokens
    ours, theirs = nlp.Perplexity(), ignite_nlp.Perplexity()
    for metric in (ours, theirs):
        metric.update((logits[:2], target[:2]))
        metric.update((logits[2:], target[2:]))
    assert ours.compute() == pytest.approx(theirs.compute(), rel=1e-6)
    mask = target != -100
    nll = torch.nn.functional.cross_entropy(logits, target, reduction="sum")
    assert ours.compute() == pytest.approx(torch.exp(nll / mask.sum()).item(), rel=1e-5)


def test_perplexity_ignore_index_and_errors():
    ppl = nlp.Perplexity(ignore_index=0)
    ppl.update((torch.zeros(3, 4), torch.tensor([0, 1, 2])))
    assert ppl.compute() == pytest.approx(4.0)
    with pytest.raises(NotComputableError, match="Perplexity must have at least one"):
        nlp.Perplexity().compute()
    bad = [
        (torch.zeros(4), torch.zeros(4, dtype=torch.long), "at least 2-dimensional"),
        (torch.zeros(4, 3), torch.tensor(1), "y must be at least 1-dimensional"),
        (torch.zeros(4, 3, 2), torch.zeros(4, dtype=torch.long), "exactly one more dimension"),
        (torch.zeros(4, 3), torch.zeros(5, dtype=torch.long), "incompatible shapes"),
    ]
    for y_pred, y, message in bad:
        with pytest.raises(ValueError, match=message) as ours:
            nlp.Perplexity().update((y_pred, y))
        with pytest.raises(ValueError) as theirs:
            ignite_nlp.Perplexity().update((y_pred, y))
        assert str(ours.value) == str(theirs.value)


def test_no_data_messages_match_ignite():
    for name in ("Bleu", "CharacterErrorRate", "Perplexity", "Rouge"):
        with pytest.raises(NotComputableError) as ours:
            getattr(nlp, name)().compute()
        with pytest.raises(IgniteNotComputableError) as theirs:
            getattr(ignite_nlp, name)().compute()
        assert str(ours.value) == str(theirs.value)


def test_attached_bleu(echo_engine):
    candidates, references = _corpus(11)
    data = [(candidates[i : i + 4], references[i : i + 4]) for i in range(0, 12, 4)]
    engine = echo_engine()
    nlp.Bleu(ngram=2, smooth="smooth1").attach(engine, "bleu")
    nlp.Rouge(variants=[1]).attach(engine, "rouge")
    state = engine.run(data)
    expected = _feed(ignite_nlp.Bleu(ngram=2, smooth="smooth1"), candidates, references)
    assert state.metrics["bleu"] == pytest.approx(expected.item())
    assert set(state.metrics["rouge"]) == {"Rouge-1-P", "Rouge-1-R", "Rouge-1-F"}
    assert state.metrics["Rouge-1-F"] == state.metrics["rouge"]["Rouge-1-F"]
