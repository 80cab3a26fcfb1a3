"""2-process gloo worker for test_distributed.py: ``python _dist_worker.py OUT_DIR``.

Each rank feeds its shard (every other sample) of a fixed data set to the metrics and writes
the computed values to ``OUT_DIR/rank{r}.json``; the test compares them with one process
computing over the whole data set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import oxignite.distributed as idist
import torch
import torch.nn.functional as F
from oxignite.metrics import (
    Accuracy,
    Average,
    ConfusionMatrix,
    Fbeta,
    Loss,
    MeanSquaredError,
    Metric,
    Precision,
    Recall,
    RunningAverage,
    TopKCategoricalAccuracy,
    sync_all_reduce,
)

N_SAMPLES = 101  # odd: the two shards have different sizes


class Extremes(Metric):
    """Largest and smallest value seen, reduced with MAX/MIN across processes."""

    required_output_keys = None

    def reset(self):
        self.high = torch.tensor(float("-inf"))
        self.low = torch.tensor(float("inf"))

    def update(self, output):
        self.high = torch.maximum(self.high, output.max())
        self.low = torch.minimum(self.low, output.min())

    @sync_all_reduce("high:MAX", "low:MIN")
    def compute(self):
        return [self.low.item(), self.high.item()]


def make_data():
    gen = torch.Generator().manual_seed(2024)
    y_pred = torch.randn(N_SAMPLES, 4, generator=gen)
    y = torch.randint(0, 4, (N_SAMPLES,), generator=gen)
    return y_pred, y


def _pair(p, t):
    return p, t


def make_metrics():
    """name -> (metric, function turning a (y_pred, y) batch into the metric's input)."""
    return {
        "accuracy": (Accuracy(), _pair),
        "precision": (Precision(average=False), _pair),
        "precision_weighted": (Precision(average="weighted"), _pair),
        "recall_macro": (Recall(average="macro"), _pair),
        "recall_micro": (Recall(average="micro"), _pair),
        "f1": (Fbeta(1.0), _pair),
        "top2": (TopKCategoricalAccuracy(k=2), _pair),
        "confusion": (ConfusionMatrix(num_classes=4), _pair),
        "loss": (Loss(F.cross_entropy), _pair),
        "mse": (MeanSquaredError(), lambda p, t: (p[:, 0], t.float())),
        "average": (Average(), lambda p, t: p),
        "extremes": (Extremes(), lambda p, t: p),
    }


def evaluate(y_pred, y, batch_size=10):
    """Feed (y_pred, y) in batches to fresh metrics; return the JSON-able values."""
    metrics = make_metrics()
    for i in range(0, len(y), batch_size):
        for metric, to_input in metrics.values():
            metric.update(to_input(y_pred[i : i + batch_size], y[i : i + batch_size]))
    values = {}
    for name, (metric, _) in metrics.items():
        value = metric.compute()
        values[name] = value.tolist() if isinstance(value, torch.Tensor) else value
    return values


def work(local_rank, out_dir):
    rank = idist.get_rank()
    y_pred, y = make_data()
    values = evaluate(y_pred[rank::2], y[rank::2])

    # Local state must be untouched by the reduction inside compute().
    acc = Accuracy()
    acc.update((y_pred[rank::2], y[rank::2]))
    acc.compute()
    values["local_examples_after_compute"] = acc._num_examples

    # RunningAverage of the output: every process averages the mean over processes.
    running = RunningAverage(output_transform=lambda x: x, alpha=0.5)
    for step in range(3):
        running.update(float(rank + step))
    values["running"] = running.compute()

    values["state_dict_ranks"] = len(acc.state_dict()["__metric_state_per_rank"])
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(values))


if __name__ == "__main__":
    # fork: the children reuse this process's imports (torch is slow to import).
    idist.spawn("gloo", work, args=(sys.argv[1],), nproc_per_node=2, start_method="fork")
