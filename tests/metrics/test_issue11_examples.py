"""The ``Example::`` blocks of the issue-11 metrics' docstrings run as written (those that
need an engine are covered by the attach tests)."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import textwrap
from pathlib import Path

import pytest

MODULES = [
    "average_precision",
    "classification_report",
    "cohen_kappa",
    "cosine_similarity",
    "entropy",
    "epoch_metric",
    "hsic",
    "js_divergence",
    "kl_divergence",
    "matthews_corrcoef",
    "maximum_mean_discrepancy",
    "mean_average_precision",
    "mean_pairwise_distance",
    "multilabel_confusion_matrix",
    "mutual_information",
    "precision_recall_curve",
    "psnr",
    "roc_auc",
    "ssim",
]


def _examples(module_name):
    module = importlib.import_module(f"oxignite.metrics.{module_name}")
    source = Path(module.__file__).read_text(encoding="utf-8")
    blocks = re.findall(r"Example::\n\n((?:        .*\n|\n)+)", source)
    return [textwrap.dedent(b) for b in blocks if "evaluator" not in b and "trainer" not in b]


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run(module_name):
    examples = _examples(module_name)
    assert examples
    for code in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, module_name, "exec"), {})  # noqa: S102 - our own docstrings
        # A printed value matches the number given in its comment ("# 0.577...").
        for line in code.splitlines():
            match = re.match(r"print\(.*\)\s+# ([-\d.]+)", line)
            if match:
                expected = match.group(1)
                assert out.getvalue().strip().startswith(expected.rstrip(".")), (
                    line,
                    out.getvalue(),
                )
