"""Metrics with pytorch-ignite's API: ``from oxignite.metrics import Accuracy, Loss, ...``.

Example::

    from oxignite.engine import create_supervised_evaluator
    from oxignite.metrics import Accuracy, Loss

    evaluator = create_supervised_evaluator(
        model, metrics={"accuracy": Accuracy(), "nll": Loss(torch.nn.functional.cross_entropy)}
    )
    state = evaluator.run(val_loader)
    print(state.metrics["accuracy"], state.metrics["nll"])
"""

from oxignite.metrics.accumulation import Average, GeometricAverage, VariableAccumulation
from oxignite.metrics.accuracy import Accuracy
from oxignite.metrics.confusion_matrix import (
    ConfusionMatrix,
    DiceCoefficient,
    IoU,
    JaccardIndex,
    cmAccuracy,
    cmPrecision,
    cmRecall,
    mIoU,
)
from oxignite.metrics.fbeta import Fbeta
from oxignite.metrics.loss import Loss
from oxignite.metrics.mean_absolute_error import MeanAbsoluteError
from oxignite.metrics.mean_squared_error import MeanSquaredError
from oxignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.metrics_lambda import MetricsLambda
from oxignite.metrics.precision import Precision
from oxignite.metrics.recall import Recall
from oxignite.metrics.root_mean_squared_error import RootMeanSquaredError
from oxignite.metrics.running_average import RunningAverage
from oxignite.metrics.top_k_categorical_accuracy import TopKCategoricalAccuracy
from oxignite.metrics.usage import (
    BatchFiltered,
    BatchWise,
    EpochWise,
    MetricUsage,
    RunningBatchWise,
    RunningEpochWise,
    SingleEpochRunningBatchWise,
)

__all__ = [
    "Accuracy",
    "Average",
    "BatchFiltered",
    "BatchWise",
    "ConfusionMatrix",
    "DiceCoefficient",
    "EpochWise",
    "Fbeta",
    "GeometricAverage",
    "IoU",
    "JaccardIndex",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "MetricUsage",
    "MetricsLambda",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "RunningAverage",
    "RunningBatchWise",
    "RunningEpochWise",
    "SingleEpochRunningBatchWise",
    "TopKCategoricalAccuracy",
    "VariableAccumulation",
    "cmAccuracy",
    "cmPrecision",
    "cmRecall",
    "mIoU",
    "reinit__is_reduced",
    "sync_all_reduce",
]
