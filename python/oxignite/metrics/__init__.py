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

from oxignite.metrics import clustering, fairness, regression
from oxignite.metrics.accumulation import Average, GeometricAverage, VariableAccumulation
from oxignite.metrics.accuracy import Accuracy
from oxignite.metrics.average_precision import AveragePrecision
from oxignite.metrics.classification_report import ClassificationReport
from oxignite.metrics.cohen_kappa import CohenKappa
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
from oxignite.metrics.cosine_similarity import CosineSimilarity
from oxignite.metrics.entropy import Entropy
from oxignite.metrics.epoch_metric import EpochMetric
from oxignite.metrics.fbeta import Fbeta
from oxignite.metrics.frequency import Frequency
from oxignite.metrics.gan import FID, InceptionScore
from oxignite.metrics.gpu_info import GpuInfo
from oxignite.metrics.hsic import HSIC
from oxignite.metrics.js_divergence import JSDivergence
from oxignite.metrics.kl_divergence import KLDivergence
from oxignite.metrics.loss import Loss
from oxignite.metrics.matthews_corrcoef import MatthewsCorrCoef
from oxignite.metrics.maximum_mean_discrepancy import MaximumMeanDiscrepancy
from oxignite.metrics.mean_absolute_error import MeanAbsoluteError
from oxignite.metrics.mean_average_precision import MeanAveragePrecision
from oxignite.metrics.mean_pairwise_distance import MeanPairwiseDistance
from oxignite.metrics.mean_squared_error import MeanSquaredError
from oxignite.metrics.metric import Metric, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.metric_group import MetricGroup
from oxignite.metrics.metrics_lambda import MetricsLambda
from oxignite.metrics.multilabel_confusion_matrix import MultiLabelConfusionMatrix
from oxignite.metrics.mutual_information import MutualInformation
from oxignite.metrics.nlp import Bleu, CharacterErrorRate, Perplexity, Rouge, RougeL, RougeN
from oxignite.metrics.precision import Precision
from oxignite.metrics.precision_recall_curve import PrecisionRecallCurve
from oxignite.metrics.psnr import PSNR
from oxignite.metrics.rec_sys import NDCG, HitRate
from oxignite.metrics.recall import Recall
from oxignite.metrics.roc_auc import ROC_AUC, RocCurve
from oxignite.metrics.root_mean_squared_error import RootMeanSquaredError
from oxignite.metrics.running_average import RunningAverage
from oxignite.metrics.ssim import SSIM
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
from oxignite.metrics.vision.object_detection_average_precision_recall import (
    CommonObjectDetectionMetrics,
    ObjectDetectionAvgPrecisionRecall,
    coco_tensor_list_to_dict_list,
)

__all__ = [
    "FID",
    "HSIC",
    "NDCG",
    "PSNR",
    "ROC_AUC",
    "SSIM",
    "Accuracy",
    "Average",
    "AveragePrecision",
    "BatchFiltered",
    "BatchWise",
    "Bleu",
    "CharacterErrorRate",
    "ClassificationReport",
    "CohenKappa",
    "CommonObjectDetectionMetrics",
    "ConfusionMatrix",
    "CosineSimilarity",
    "DiceCoefficient",
    "Entropy",
    "EpochMetric",
    "EpochWise",
    "Fbeta",
    "Frequency",
    "GeometricAverage",
    "GpuInfo",
    "HitRate",
    "InceptionScore",
    "IoU",
    "JSDivergence",
    "JaccardIndex",
    "KLDivergence",
    "Loss",
    "MatthewsCorrCoef",
    "MaximumMeanDiscrepancy",
    "MeanAbsoluteError",
    "MeanAveragePrecision",
    "MeanPairwiseDistance",
    "MeanSquaredError",
    "Metric",
    "MetricGroup",
    "MetricUsage",
    "MetricsLambda",
    "MultiLabelConfusionMatrix",
    "MutualInformation",
    "ObjectDetectionAvgPrecisionRecall",
    "Perplexity",
    "Precision",
    "PrecisionRecallCurve",
    "Recall",
    "RocCurve",
    "RootMeanSquaredError",
    "Rouge",
    "RougeL",
    "RougeN",
    "RunningAverage",
    "RunningBatchWise",
    "RunningEpochWise",
    "SingleEpochRunningBatchWise",
    "TopKCategoricalAccuracy",
    "VariableAccumulation",
    "clustering",
    "cmAccuracy",
    "cmPrecision",
    "cmRecall",
    "coco_tensor_list_to_dict_list",
    "fairness",
    "mIoU",
    "regression",
    "reinit__is_reduced",
    "sync_all_reduce",
]
