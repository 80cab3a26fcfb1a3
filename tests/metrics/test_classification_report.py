"""ClassificationReport: the same report as pytorch-ignite; per-class values as scikit-learn."""

from __future__ import annotations

import json

import oxignite.metrics as ox
import pytest
import torch
from _side_by_side import assert_same, batches_of, both, ignite_metrics
from sklearn.metrics import precision_recall_fscore_support

CASES = {
    "multiclass": lambda: (torch.rand(40, 4), torch.randint(0, 4, (40,))),
    "multiclass_2d": lambda: (torch.rand(40, 3, 5), torch.randint(0, 3, (40, 5))),
    "multilabel": lambda: (torch.randint(0, 2, (40, 3)), torch.randint(0, 2, (40, 3))),
}


@pytest.mark.parametrize("output_dict", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_ignite(case, output_dict):
    y_pred, y = CASES[case]()
    labels = ["a", "b", "c", "d"][: y_pred.shape[1]]

    def make(m, labels=None):
        return m.ClassificationReport(
            beta=2, output_dict=output_dict, is_multilabel=case == "multilabel", labels=labels
        )

    for names in (None, labels):
        ours, theirs = both(lambda m, names=names: make(m, names), batches_of(y_pred, y, 9))
        assert type(ours) is type(theirs)
        if not output_dict:
            ours, theirs = json.loads(ours), json.loads(theirs)
        assert list(ours) == list(theirs)
        assert_same(ours, theirs)


def test_binary_input_fails_as_in_ignite():
    # Binary Precision/Recall give 0-d values, which the report cannot iterate (ignite too).
    batch = (torch.randint(0, 2, (8,)), torch.randint(0, 2, (8,)))
    for module in (ox, ignite_metrics):
        report = module.ClassificationReport()
        report.update(batch)
        with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
            report.compute()


def test_per_class_values_as_sklearn():
    y_pred, y = torch.rand(60, 3), torch.randint(0, 3, (60,))
    report = ox.ClassificationReport(output_dict=True)
    for batch in batches_of(y_pred, y, 16):
        report.update(batch)
    result = report.compute()
    p, r, f, _ = precision_recall_fscore_support(y.numpy(), y_pred.argmax(1).numpy())
    for c in range(3):
        assert result[str(c)] == pytest.approx(
            {"precision": p[c], "recall": r[c], "f1-score": f[c]}
        )
    assert result["macro avg"]["precision"] == pytest.approx(p.mean())


def test_attached_flattens_dict(echo_engine):
    engine = echo_engine()
    ox.ClassificationReport(output_dict=True, metrics_result_mode="flatten").attach(
        engine, "report"
    )
    metrics = engine.run([(torch.rand(6, 2), torch.randint(0, 2, (6,)))]).metrics
    assert {"0", "1", "macro avg"} <= set(metrics) and "report" not in metrics
