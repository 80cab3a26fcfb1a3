"""2-process gloo worker for test_subpackages_distributed.py: ``python THIS.py OUT_DIR``.

Every metric of the metric subpackages (regression, nlp, gan, clustering, rec_sys, fairness,
vision) is fed its rank's shard (every other sample, so the shards have different sizes) and
the computed values are written to ``OUT_DIR/rank{r}.json``; the test compares them with one
process computing over the whole data set.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import oxignite.distributed as idist
import torch
from oxignite.metrics import Accuracy, clustering, fairness, gan, nlp, rec_sys, regression
from oxignite.metrics.vision.object_detection_average_precision_recall import (
    CommonObjectDetectionMetrics,
    ObjectDetectionAvgPrecisionRecall,
)

N = 1001  # odd: rank 0 gets 501 samples, rank 1 gets 500
N_IMAGES = 41
BATCH = 40
WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "is", "there"]


def _boxes(gen, n):
    xy = torch.rand(n, 2, generator=gen) * 200
    return torch.cat([xy, xy + 5 + torch.rand(n, 2, generator=gen) * 145], dim=1)


def _detections(gen):
    y_pred, y = [], []
    for _ in range(N_IMAGES):
        n_gt = int(torch.randint(1, 6, (1,), generator=gen))
        gt_boxes, gt_labels = _boxes(gen, n_gt), torch.randint(0, 3, (n_gt,), generator=gen)
        boxes = torch.cat([gt_boxes + torch.randn(n_gt, 4, generator=gen) * 6, _boxes(gen, 3)])
        boxes[:, 2:] = torch.max(boxes[:, 2:], boxes[:, :2] + 1)
        labels = torch.cat([gt_labels, torch.randint(0, 3, (3,), generator=gen)])
        # Distinct scores: the ranking of gathered detections does not depend on their order.
        scores = torch.rand(len(labels), generator=gen, dtype=torch.float64)
        y_pred.append({"bbox": boxes, "scores": scores, "labels": labels})
        y.append({"bbox": gt_boxes, "labels": gt_labels})
    return y_pred, y


def make_data():
    """name -> tuple of equally long sequences (tensors or lists), one item per sample."""
    gen = torch.Generator().manual_seed(2025)
    rng = random.Random(2025)

    def sentence():
        return [rng.choice(WORDS) for _ in range(rng.randint(1, 8))]

    def text():
        return "".join(rng.choice("abc ") for _ in range(rng.randint(0, 9)))

    # Regression targets away from 0 (relative errors divide by them).
    reg = (
        torch.rand(N, generator=gen, dtype=torch.float64) * 3 + 0.5,
        torch.rand(N, generator=gen, dtype=torch.float64) * 3 + 0.5,
    )
    targets = torch.randint(0, 5, (N, 3), generator=gen)
    targets[::4, 0] = -100
    centers = torch.randn(4, 3, generator=gen, dtype=torch.float64) * 3
    labels = torch.randint(0, 4, (N,), generator=gen)
    return {
        "reg": reg,
        "text": ([sentence() for _ in range(N)], [[sentence(), sentence()] for _ in range(N)]),
        "chars": ([text() for _ in range(N)], [text() for _ in range(N)]),
        "lm": (torch.randn(N, 5, 3, generator=gen), targets),
        "rec": (
            torch.rand(N, 10, generator=gen),
            torch.randint(0, 3, (N, 10), generator=gen).float(),
        ),
        "fair": (
            torch.rand(N, 4, generator=gen),
            torch.randint(0, 4, (N,), generator=gen),
            torch.randint(0, 3, (N,), generator=gen),
        ),
        "gan": (
            torch.rand(N, 8, generator=gen, dtype=torch.float64),
            torch.randn(N, 8, generator=gen, dtype=torch.float64),
        ),
        "clu": (centers[labels] + torch.randn(N, 3, generator=gen, dtype=torch.float64), labels),
        "det": _detections(gen),
    }


def make_metrics():
    """name -> (metric, data set name, function turning a batch into the metric's input)."""
    torch.manual_seed(0)  # the same feature extractors in every process
    extractor = torch.nn.Linear(8, 4).double()
    classifier = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.Softmax(dim=1)).double()
    pair = tuple
    cases = {
        f"regression.{name}": (getattr(regression, name)(), "reg", pair)
        for name in regression.__all__
    }
    cases.update(
        {
            "bleu_macro": (nlp.Bleu(ngram=2, smooth="smooth1"), "text", pair),
            "bleu_micro": (nlp.Bleu(ngram=4, smooth="nltk_smooth2", average="micro"), "text", pair),
            "rouge": (nlp.Rouge(variants=[1, 2, "L"], multiref="best"), "text", pair),
            "rouge_n": (nlp.RougeN(ngram=2, alpha=0.5), "text", pair),
            "rouge_l": (nlp.RougeL(), "text", pair),
            "cer": (nlp.CharacterErrorRate(), "chars", pair),
            "perplexity": (nlp.Perplexity(), "lm", pair),
            "hit_rate": (rec_sys.HitRate(top_k=[1, 3, 5]), "rec", pair),
            "ndcg": (rec_sys.NDCG(top_k=[1, 5], relevance_threshold=1.0), "rec", pair),
            "accuracy_difference": (fairness.SubgroupAccuracyDifference([0, 1, 2]), "fair", pair),
            "demographic_parity": (fairness.DemographicParityDifference([0, 1, 2]), "fair", pair),
            "subgroup_accuracy": (fairness.SubgroupMetric(Accuracy(), [0, 1, 2]), "fair", pair),
            "fid": (gan.FID(num_features=4, feature_extractor=extractor), "gan", pair),
            "inception_score": (
                gan.InceptionScore(num_features=6, feature_extractor=classifier),
                "gan",
                lambda b: b[0],
            ),
            "silhouette": (clustering.SilhouetteScore(), "clu", pair),
            "calinski_harabasz": (clustering.CalinskiHarabaszScore(), "clu", pair),
            "davies_bouldin": (clustering.DaviesBouldinScore(), "clu", pair),
            "detection": (ObjectDetectionAvgPrecisionRecall(num_classes=3), "det", pair),
            "coco": (CommonObjectDetectionMetrics(num_classes=3), "det", pair),
        }
    )
    return cases


def _plain(value):
    """A JSON-able copy of a metric value (tensors to lists, mapping keys to strings)."""
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def evaluate(data):
    """Feed every data set in batches to fresh metrics; return the JSON-able values."""
    values = {}
    for name, (metric, key, to_input) in make_metrics().items():
        columns = data[key]
        size = len(columns[0])
        batch = 4 if key == "det" else BATCH
        for i in range(0, size, batch):
            metric.update(to_input(tuple(c[i : i + batch] for c in columns)))
        values[name] = _plain(metric.compute())
    return values


def shard(data, rank, world_size=2):
    return {key: tuple(c[rank::world_size] for c in columns) for key, columns in data.items()}


def work(local_rank, out_dir):
    rank = idist.get_rank()
    values = evaluate(shard(make_data(), rank))
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(values))


if __name__ == "__main__":
    # fork: the children reuse this process's imports (torch is slow to import).
    idist.spawn("gloo", work, args=(sys.argv[1],), nproc_per_node=2, start_method="fork")
