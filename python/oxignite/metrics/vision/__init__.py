"""pytorch-ignite's vision metrics (COCO-style object detection)."""

from oxignite.metrics.vision.object_detection_average_precision_recall import (
    ObjectDetectionAvgPrecisionRecall,
)

__all__ = ["ObjectDetectionAvgPrecisionRecall"]
