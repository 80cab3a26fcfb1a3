"""COCO-style object detection metrics: average precision and recall over IoU thresholds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import torch

from oxignite.metrics.mean_average_precision import _BaseAveragePrecision, _cat_and_agg_tensors
from oxignite.metrics.metric import _CPU, Metric, _identity, reinit__is_reduced, sync_all_reduce
from oxignite.metrics.metric_group import MetricGroup

__all__ = [
    "CommonObjectDetectionMetrics",
    "ObjectDetectionAvgPrecisionRecall",
    "coco_tensor_list_to_dict_list",
]

# COCO's object size ranges (in squared pixels).
_AREA_RANGES = {
    "all": (0, 1e10),
    "small": (0, 1024),
    "medium": (1024, 9216),
    "large": (9216, 1e10),
}
# Markers written into the IoU table during matching (real IoUs are in [0, 1]).
_NO_MATCH = -3
_IGNORED = -2


def coco_tensor_list_to_dict_list(output: tuple[list, list]) -> tuple[list[dict], list[dict]]:
    """Turn per-image tensors into dictionaries.

    ``y_pred`` rows ``(x1, y1, x2, y2, confidence, class)`` become
    ``{"bbox", "confidence", "class"}``; ``y`` rows ``(x1, y1, x2, y2, class[, iscrowd])``
    become ``{"bbox", "class"[, "iscrowd"]}``. Lists of dictionaries are returned as they are.

    Example::

        y_pred, y = coco_tensor_list_to_dict_list(([torch.rand(3, 6)], [torch.rand(2, 5)]))
    """
    y_pred, y = output
    if len(y_pred) > 0 and isinstance(y_pred[0], torch.Tensor):
        y_pred = [{"bbox": t[:, :4], "confidence": t[:, 4], "class": t[:, 5]} for t in y_pred]
    if len(y) > 0 and isinstance(y[0], torch.Tensor):
        if y[0].size(1) == 5:
            y = [{"bbox": t[:, :4], "class": t[:, 4]} for t in y]
        else:
            y = [{"bbox": t[:, :4], "class": t[:, 4], "iscrowd": t[:, 5]} for t in y]
    return y_pred, y


def _box_area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _box_iou(pred: torch.Tensor, gt: torch.Tensor, iscrowd: torch.Tensor) -> torch.Tensor:
    """IoU of every (prediction, ground truth) pair of ``(x1, y1, x2, y2)`` boxes; for a crowd
    ground truth the intersection is divided by the prediction's area only (as COCO)."""
    pred_area = _box_area(pred)
    top_left = torch.max(pred[:, None, :2], gt[None, :, :2])
    bottom_right = torch.min(pred[:, None, 2:], gt[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    union = pred_area[:, None] + _box_area(gt)[None, :] - inter
    union[:, iscrowd] = pred_area.reshape(-1, 1)
    iou = inter / union
    iou[iou.isnan()] = 0
    return iou


class ObjectDetectionAvgPrecisionRecall(Metric, _BaseAveragePrecision):
    r"""COCO average precision and recall of object detections, averaged over classes and
    IoU thresholds: ``compute`` returns ``(AP, AR)`` (``(-1, -1)`` without ground truth).

    ``update`` takes ``(y_pred, y)``: lists (one item per image) of dictionaries,
    ``y_pred`` with ``"bbox"`` ``(D, 4)`` boxes ``(x1, y1, x2, y2)``, ``"scores"`` ``(D,)`` and
    ``"labels"`` ``(D,)``; ``y`` with ``"bbox"``, ``"labels"`` and optionally ``"iscrowd"``.
    Matches are greedy by decreasing score as in pycocotools. Detections are gathered across
    processes without padding, so the result equals the one-process result.

    Args:
        iou_thresholds: IoU thresholds (default ``0.5, 0.55, ..., 0.95``).
        rec_thresholds: recall thresholds of the interpolated AP (default ``0, 0.01, ..., 1``).
        num_classes: number of classes (default 80, COCO).
        max_detections_per_image_per_class: best-scored detections kept per image and class.
        area_range: ``"small"``, ``"medium"``, ``"large"`` or ``"all"`` objects.
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric`.

    Example::

        from oxignite.metrics import ObjectDetectionAvgPrecisionRecall

        metric = ObjectDetectionAvgPrecisionRecall(num_classes=2)
        y_pred = [{"bbox": torch.tensor([[0.0, 0.0, 10.0, 10.0]]),
                   "scores": torch.tensor([0.9]), "labels": torch.tensor([1])}]
        y = [{"bbox": torch.tensor([[0.0, 0.0, 10.0, 9.0]]), "labels": torch.tensor([1])}]
        metric.update((y_pred, y))
        ap, ar = metric.compute()
    """

    _tps: list[torch.Tensor]
    _fps: list[torch.Tensor]
    _scores: list[torch.Tensor]
    _y_pred_labels: list[torch.Tensor]
    _y_true_count: torch.Tensor
    _state_dict_all_req_keys = ("_tps", "_fps", "_scores", "_y_pred_labels", "_y_true_count")
    # ignite's attribute: ``box_iou(pred_boxes, gt_boxes, iscrowd)``, the IoU matrix it uses.
    box_iou = staticmethod(_box_iou)

    def __init__(
        self,
        iou_thresholds: Sequence[float] | torch.Tensor | None = None,
        rec_thresholds: Sequence[float] | torch.Tensor | None = None,
        num_classes: int = 80,
        max_detections_per_image_per_class: int = 100,
        area_range: Literal["small", "medium", "large", "all"] = "all",
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = False,
    ) -> None:
        if area_range not in _AREA_RANGES:
            raise ValueError(
                f"area_range should be one of {list(_AREA_RANGES)}, given {area_range!r}"
            )
        if iou_thresholds is None:
            iou_thresholds = torch.linspace(0.5, 0.95, 10)
        if rec_thresholds is None:
            rec_thresholds = torch.linspace(0, 1, 101)
        self._num_classes = num_classes
        self._area_range = area_range
        self._max_detections_per_image_per_class = max_detections_per_image_per_class
        Metric.__init__(
            self, output_transform=output_transform, device=device, skip_unrolling=skip_unrolling
        )
        _BaseAveragePrecision.__init__(
            self, rec_thresholds=rec_thresholds, class_mean=None, device=device
        )
        self._iou_thresholds = self._setup_thresholds(iou_thresholds, "iou_thresholds")

    @reinit__is_reduced
    def reset(self) -> None:
        self._tps = []
        self._fps = []
        self._scores = []
        self._y_pred_labels = []
        self._y_true_count = torch.zeros((self._num_classes,), device=self._device)

    def _load_state_dict_per_rank(self, state: Mapping) -> None:
        # The saved lists replace the current ones whatever their lengths.
        super()._load_state_dict_per_rank(state)
        for key in ("_tps", "_fps", "_scores", "_y_pred_labels"):
            setattr(self, key, [t.clone() for t in state[key]])

    def _match_area_range(self, bboxes: torch.Tensor) -> torch.Tensor:
        low, high = _AREA_RANGES[self._area_range]
        areas = _box_area(bboxes)
        return (areas >= low) & (areas <= high)

    def _check_matching_input(self, output: tuple[list[dict], list[dict]]) -> None:
        y_pred, y = output
        if len(y_pred) != len(y):
            raise ValueError(
                "y_pred and y should have the same number of samples, "
                f"given {len(y_pred)} and {len(y)}."
            )
        if len(y_pred) == 0:
            raise ValueError("y_pred and y should contain at least one sample.")
        y_pred_keys = {"bbox", "scores", "labels"}
        if y_pred[0].keys() & y_pred_keys != y_pred_keys:
            raise ValueError(
                "y_pred sample dictionaries should have 'bbox', 'scores' and 'labels' keys, "
                f"given keys: {y_pred[0].keys()}"
            )
        y_keys = {"bbox", "labels"}
        if y[0].keys() & y_keys != y_keys:
            raise ValueError(
                "y sample dictionaries should have 'bbox', 'labels' and optionally 'iscrowd' "
                f"keys, given keys: {y[0].keys()}"
            )

    def _best_detections(self, labels: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """Indices of the best-scored detections of each class (class by class, by score)."""
        by_score = torch.argsort(scores, stable=True, descending=True)
        sorted_labels = labels[by_score]
        keep = [
            by_score[sorted_labels == c][: self._max_detections_per_image_per_class]
            for c in torch.unique(sorted_labels).tolist()
            if 0 <= c < self._num_classes
        ]
        return torch.cat(keep) if keep else by_score[:0]

    def _match(
        self,
        pred_boxes: torch.Tensor,
        pred_labels: torch.Tensor,
        gt_boxes: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_is_crowd: torch.Tensor,
        gt_ignore: torch.Tensor,
        iou_thresholds: torch.Tensor,
    ) -> torch.Tensor:
        """Greedy matching; the best IoU of each prediction per threshold ``(D, T)``: >= 0
        matched, in (-3, 0) matched to an ignored ground truth, <= -3 unmatched."""
        ious = _box_iou(pred_boxes, gt_boxes, gt_is_crowd)
        ious[gt_labels.expand(len(pred_labels), -1) != pred_labels.view(-1, 1)] = _NO_MATCH
        ious = ious.unsqueeze(-1).repeat((1, 1, len(iou_thresholds)))
        ious[ious < iou_thresholds] = _NO_MATCH
        ious[:, gt_ignore] += _IGNORED
        last = ious.size(1) - 1
        for i in range(len(pred_labels)):
            # Best ground truth per threshold; ties go to the last one, as pycocotools.
            best = ious[i].flip(0).max(0)
            gt_index = last - best.indices
            matched = (best.values > _NO_MATCH) & ~gt_is_crowd[gt_index]
            ts = matched.nonzero().view(-1)
            if len(ts):
                # A matched (non-crowd) ground truth is taken: no other prediction may use it.
                ious[:, gt_index[ts], ts] = _NO_MATCH
                ious[i, gt_index[ts], ts] = best.values[ts]
        return ious.max(1).values

    @reinit__is_reduced
    def update(self, output: tuple[list[dict], list[dict]]) -> None:
        """Match one batch of images; see the class docstring for the input format."""
        self._check_matching_input(output)
        for pred, target in zip(*output):
            gt_labels = target["labels"].detach()
            gt_boxes = target["bbox"].detach()
            if "iscrowd" in target:
                gt_is_crowd = target["iscrowd"].detach().bool()
            else:
                gt_is_crowd = torch.zeros_like(gt_labels, dtype=torch.bool)
            input_device = gt_boxes.device
            gt_ignore = ~self._match_area_range(gt_boxes) | gt_is_crowd
            counts = torch.bincount(gt_labels[~gt_ignore], minlength=self._num_classes)
            self._y_true_count += counts.to(self._device)

            if not len(pred["labels"]):
                continue
            scores_all = pred["scores"].detach()
            best = self._best_detections(pred["labels"].detach(), scores_all)
            pred_boxes = pred["bbox"].detach()[best]
            pred_labels = pred["labels"].detach()[best]
            iou_thresholds = self._iou_thresholds.to(input_device)
            in_range = self._match_area_range(pred_boxes)
            if not len(gt_labels):
                tp = torch.zeros((len(iou_thresholds), len(best)), dtype=torch.uint8)
                fp = (~tp.bool() & in_range).to(torch.uint8)
            else:
                max_ious = self._match(
                    pred_boxes,
                    pred_labels,
                    gt_boxes,
                    gt_labels,
                    gt_is_crowd,
                    gt_ignore,
                    iou_thresholds,
                )
                tp = (max_ious >= 0).T.to(torch.uint8)
                fp = ((max_ious <= _NO_MATCH).T & in_range).to(torch.uint8)
            self._tps.append(tp.to(self._device))
            self._fps.append(fp.to(self._device))
            self._scores.append(scores_all[best].to(self._device, dtype=self._fp_precision))
            self._y_pred_labels.append(pred_labels.to(dtype=torch.int, device=self._device))

    def _compute_recall_and_precision(
        self, TP: torch.Tensor, FP: torch.Tensor, scores: torch.Tensor, y_true_count: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Recall and precision after each detection, by decreasing score; ``(T, D)``."""
        order = torch.argsort(scores, dim=-1, stable=True, descending=True)
        tp = TP[..., order].cumsum(dim=-1).to(self._fp_precision)
        fp = FP[..., order].cumsum(dim=-1).to(self._fp_precision)
        recall = tp / y_true_count
        predicted = tp + fp
        precision = tp / torch.where(predicted == 0, 1, predicted)
        return recall, precision

    def _compute_average_precision(
        self, recall: torch.Tensor, precision: torch.Tensor
    ) -> torch.Tensor:
        """COCO's interpolated AP: mean over the recall thresholds of the best precision at a
        recall >= the threshold (0 where the threshold is never reached)."""
        if precision.device.type == "mps":  # cummax is not implemented on MPS
            envelope = precision.flip(-1).cpu().cummax(dim=-1).values.to(precision.device)
        else:
            envelope = precision.flip(-1).cummax(dim=-1).values
        envelope = envelope.flip(-1)
        thresholds = self.rec_thresholds.repeat((*recall.shape[:-1], 1))
        if recall.size(-1) != 0:
            idx = torch.searchsorted(recall, thresholds)
        else:
            idx = torch.tensor([], dtype=torch.long, device=self._device)
        beyond = idx == recall.size(-1)
        at = envelope.take_along_dim(idx.where(~beyond, 0), dim=-1).where(~beyond, 0)
        return torch.sum(at, dim=-1) / len(self.rec_thresholds)

    @sync_all_reduce("_y_true_count")
    def _compute(self) -> torch.Tensor:
        """``(2, num_classes, T)``: AP and AR per class and IoU threshold; -1 for classes
        without ground truth."""
        n_thresholds = len(self._iou_thresholds)
        pred_labels = _cat_and_agg_tensors(self._y_pred_labels, (), torch.int, self._device)
        TP = _cat_and_agg_tensors(self._tps, (n_thresholds,), torch.uint8, self._device)
        FP = _cat_and_agg_tensors(self._fps, (n_thresholds,), torch.uint8, self._device)
        scores = _cat_and_agg_tensors(self._scores, (), self._fp_precision, self._device)
        result = -torch.ones(
            (2, self._num_classes, n_thresholds), device=self._device, dtype=self._fp_precision
        )
        for cls in range(self._num_classes):
            if self._y_true_count[cls] == 0:
                continue
            of_cls = pred_labels == cls
            if not of_cls.any():
                result[:, cls] = 0.0
                continue
            recall, precision = self._compute_recall_and_precision(
                TP[..., of_cls], FP[..., of_cls], scores[of_cls], self._y_true_count[cls]
            )
            result[0, cls] = self._compute_average_precision(recall, precision)
            result[1, cls] = recall[..., -1]
        return result

    def compute(self) -> tuple[float, float]:
        result = self._compute()
        if (result == -1).all():
            return -1.0, -1.0
        ap = result[0][result[0] > -1].mean().item()
        ar = result[1][result[1] > -1].mean().item()
        return ap, ar


class CommonObjectDetectionMetrics(MetricGroup):
    r"""The twelve COCO detection numbers at once: ``AP@50..95``, ``AR-100``, ``AP@50``,
    ``AP@75``, ``AP-S``/``AR-S``, ``AP-M``/``AR-M``, ``AP-L``/``AR-L``, ``AR-1``, ``AR-10``.

    Same inputs as :class:`ObjectDetectionAvgPrecisionRecall`.

    Args:
        num_classes: number of classes (default 80).
        output_transform: turns the engine's output into ``(y_pred, y)``.
        device: device on which the state is accumulated.
        skip_unrolling: see :class:`~oxignite.metrics.Metric` (default True: the output is a
            pair of lists of dictionaries).

    Example::

        from oxignite.metrics import CommonObjectDetectionMetrics

        metric = CommonObjectDetectionMetrics(num_classes=2)
        metric.attach(evaluator, "coco")  # state.metrics["AP@50"], ...
    """

    _state_dict_all_req_keys = ("metrics", "ap_50_95")
    ap_50_95: ObjectDetectionAvgPrecisionRecall

    def __init__(
        self,
        num_classes: int = 80,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
        skip_unrolling: bool = True,
    ) -> None:
        def make(**kwargs: object) -> ObjectDetectionAvgPrecisionRecall:
            return ObjectDetectionAvgPrecisionRecall(
                num_classes=num_classes, device=device, **kwargs
            )

        self.ap_50_95 = make()
        metrics = {
            "S": make(area_range="small"),
            "M": make(area_range="medium"),
            "L": make(area_range="large"),
            "1": make(max_detections_per_image_per_class=1),
            "10": make(max_detections_per_image_per_class=10),
        }
        super().__init__(metrics, output_transform, skip_unrolling=skip_unrolling)

    def reset(self) -> None:
        super().reset()
        self.ap_50_95.reset()

    def update(self, output: Sequence) -> None:
        super().update(output)
        self.ap_50_95.update(output)

    def compute(self) -> dict[str, float]:
        result = self.ap_50_95._compute()
        ap_50, ap_75 = result[0, :, 0], result[0, :, 5]
        if (ap_50 == -1).all():
            ap_50_95 = ar_100 = mean_ap_50 = mean_ap_75 = -1.0
        else:
            mean_ap_50 = ap_50[ap_50 > -1].mean().item()
            mean_ap_75 = ap_75[ap_75 > -1].mean().item()
            ap_50_95 = result[0][result[0] > -1].mean().item()
            ar_100 = result[1][result[1] > -1].mean().item()
        by_size = super().compute()
        return {
            "AP@50..95": ap_50_95,
            "AR-100": ar_100,
            "AP@50": mean_ap_50,
            "AP@75": mean_ap_75,
            "AP-S": by_size["S"][0],
            "AR-S": by_size["S"][1],
            "AP-M": by_size["M"][0],
            "AR-M": by_size["M"][1],
            "AP-L": by_size["L"][0],
            "AR-L": by_size["L"][1],
            "AR-1": by_size["1"][1],
            "AR-10": by_size["10"][1],
        }
