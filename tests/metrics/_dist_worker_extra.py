"""2-process gloo worker for test_distributed_extra.py: ``python _dist_worker_extra.py OUT``.

The data set is 1,001 samples in 77 batches of 13; rank r feeds batches r, r + 2, ...
(39 and 38 batches: uneven shards) to every metric and writes the computed values to
``OUT/rank{r}.json``. One process over all 77 batches must give the same values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import oxignite.distributed as idist
import oxignite.metrics as M
import torch
import torch.nn.functional as F

N_SAMPLES = 1001
BATCH = 13
NUM_CLASSES = 4


def make_batches():
    gen = torch.Generator().manual_seed(7)
    logits = torch.randn(N_SAMPLES, NUM_CLASSES, generator=gen)
    labels = torch.randint(0, NUM_CLASSES, (N_SAMPLES,), generator=gen)
    other = logits + torch.randn(N_SAMPLES, NUM_CLASSES, generator=gen)
    binary = torch.randint(0, 2, (N_SAMPLES, NUM_CLASSES), generator=gen)
    images = torch.rand(N_SAMPLES, 1, 8, 8, generator=gen)
    noisy = (images + 0.1 * torch.randn(N_SAMPLES, 1, 8, 8, generator=gen)).clamp(0, 1)
    batches = []
    for i in range(0, N_SAMPLES, BATCH):
        s = slice(i, i + BATCH)
        batches.append(
            {
                "logits": logits[s],
                "labels": labels[s],
                "other": other[s],
                "binary": binary[s],
                "images": images[s],
                "noisy": noisy[s],
            }
        )
    return batches


def _scores_binary(b):
    return torch.sigmoid(b["logits"][:, 0]), b["binary"][:, 0]


def _class_pair(b):
    return b["logits"], b["labels"]


def _labels_pair(b):
    return b["logits"].argmax(1), b["labels"]


def make_metrics():
    """name -> (metric, batch -> metric input)."""
    mean_abs = lambda p, t: (p - t.float()).abs().mean().item()
    return {
        "epoch_metric": (M.EpochMetric(mean_abs), _scores_binary),
        "roc_auc": (M.ROC_AUC(), _scores_binary),
        "roc_auc_multilabel": (M.ROC_AUC(), lambda b: (torch.sigmoid(b["logits"]), b["binary"])),
        "roc_curve": (M.RocCurve(), _scores_binary),
        "average_precision": (M.AveragePrecision(), _scores_binary),
        "pr_curve": (M.PrecisionRecallCurve(), _scores_binary),
        "mcc": (M.MatthewsCorrCoef(), _class_pair),
        "kappa": (M.CohenKappa(weights="quadratic"), _labels_pair),
        "kappa_cm": (M.CohenKappa(num_classes=NUM_CLASSES), _labels_pair),
        "report": (M.ClassificationReport(output_dict=True), _class_pair),
        "multilabel_cm": (
            M.MultiLabelConfusionMatrix(num_classes=NUM_CLASSES),
            lambda b: ((b["logits"] > 0).long(), b["binary"]),
        ),
        "entropy": (M.Entropy(), _class_pair),
        "mutual_information": (M.MutualInformation(), _class_pair),
        "kl": (M.KLDivergence(), lambda b: (b["logits"], b["other"])),
        "js": (M.JSDivergence(), lambda b: (b["logits"], b["other"])),
        "cosine": (M.CosineSimilarity(), lambda b: (b["logits"], b["other"])),
        "pairwise": (M.MeanPairwiseDistance(), lambda b: (b["logits"], b["other"])),
        "mmd": (M.MaximumMeanDiscrepancy(), lambda b: (b["logits"], b["other"])),
        "hsic": (M.HSIC(), lambda b: (b["logits"], b["other"])),
        "psnr": (M.PSNR(data_range=1.0), lambda b: (b["noisy"], b["images"])),
        "ssim": (M.SSIM(data_range=1.0, kernel_size=7), lambda b: (b["noisy"], b["images"])),
        "map_multiclass": (M.MeanAveragePrecision(), _class_pair),
        "map_multilabel": (
            M.MeanAveragePrecision(is_multilabel=True, class_mean=None),
            lambda b: (torch.sigmoid(b["logits"]), b["binary"]),
        ),
        "group": (
            M.MetricGroup({"acc": M.Accuracy(), "nll": M.Loss(F.cross_entropy)}),
            _class_pair,
        ),
    }


def _plain(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return float(value)


def evaluate(batches):
    metrics = make_metrics()
    for batch in batches:
        for metric, to_input in metrics.values():
            metric.update(to_input(batch))
    return {name: _plain(metric.compute()) for name, (metric, _) in metrics.items()}


def work(local_rank, out_dir):
    rank = idist.get_rank()
    batches = make_batches()[rank::2]
    values = evaluate(batches)
    values["samples"] = sum(len(b["labels"]) for b in batches)
    frequency = M.Frequency()
    frequency.update(10 * (rank + 1))
    values["frequency_positive"] = frequency.compute() > 0
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(values))


if __name__ == "__main__":
    # fork: the children reuse this process's imports (torch is slow to import).
    import sklearn.metrics  # noqa: F401 - imported once, before forking

    idist.spawn("gloo", work, args=(sys.argv[1],), nproc_per_node=2, start_method="fork")
