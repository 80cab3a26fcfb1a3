"""oxignite.metrics.vision (COCO-style detection AP/AR) against pytorch-ignite."""

from __future__ import annotations

import pytest
import torch
from oxignite.metrics import vision
from oxignite.metrics.vision.object_detection_average_precision_recall import (
    CommonObjectDetectionMetrics,
    ObjectDetectionAvgPrecisionRecall,
    coco_tensor_list_to_dict_list,
)

NUM_CLASSES = 5


def _boxes(gen, n):
    xy = torch.rand(n, 2, generator=gen) * 200
    # Sides from 5 to 150 pixels: small, medium and large objects.
    wh = 5 + torch.rand(n, 2, generator=gen) * 145
    return torch.cat([xy, xy + wh], dim=1)


def _detections(seed, n_images=6, crowd=True):
    gen = torch.Generator().manual_seed(seed)
    y_pred, y = [], []
    for image in range(n_images):
        n_gt = int(torch.randint(0, 6, (1,), generator=gen)) if image else 0
        gt_boxes = _boxes(gen, n_gt)
        gt_labels = torch.randint(0, NUM_CLASSES, (n_gt,), generator=gen)
        target = {"bbox": gt_boxes, "labels": gt_labels}
        if crowd:
            target["iscrowd"] = (torch.rand(n_gt, generator=gen) < 0.15).long()
        # Predictions: jittered copies of the ground truth plus random boxes.
        jitter = torch.randn(n_gt, 4, generator=gen) * 6
        boxes = torch.cat([gt_boxes + jitter, _boxes(gen, 4)])
        boxes[:, 2:] = torch.max(boxes[:, 2:], boxes[:, :2] + 1)
        labels = torch.cat([gt_labels, torch.randint(0, NUM_CLASSES, (4,), generator=gen)])
        flip = torch.rand(len(labels), generator=gen) < 0.2
        labels[flip] = torch.randint(0, NUM_CLASSES, (int(flip.sum()),), generator=gen)
        scores = torch.rand(len(labels), generator=gen).round(decimals=1)  # with ties
        y_pred.append({"bbox": boxes, "scores": scores, "labels": labels})
        y.append(target)
    return y_pred, y


def _feed(metric, y_pred, y, batch_size=4):
    for i in range(0, len(y), batch_size):
        metric.update((y_pred[i : i + batch_size], y[i : i + batch_size]))
    return metric.compute()


@pytest.fixture(scope="module")
def ignite_vision():
    pytest.importorskip("torchvision")
    from ignite.metrics import vision as module

    return module


def test_same_names_as_ignite(ignite_vision):
    assert vision.__all__ == ignite_vision.__all__


@pytest.mark.parametrize("area_range", ["all", "small", "medium", "large"])
@pytest.mark.parametrize("crowd", [False, True])
def test_same_as_ignite(ignite_vision, area_range, crowd):
    for seed in range(3):
        y_pred, y = _detections(seed * 10 + len(area_range), crowd=crowd)
        kwargs = {"num_classes": NUM_CLASSES, "area_range": area_range}
        ours = _feed(ObjectDetectionAvgPrecisionRecall(**kwargs), y_pred, y)
        theirs = _feed(ignite_vision.ObjectDetectionAvgPrecisionRecall(**kwargs), y_pred, y)
        assert ours == pytest.approx(theirs, abs=1e-12)


def test_thresholds_and_max_detections_same_as_ignite(ignite_vision):
    y_pred, y = _detections(42, n_images=8)
    kwargs = {
        "iou_thresholds": [0.3, 0.6],
        "rec_thresholds": torch.linspace(0, 1, 11),
        "num_classes": NUM_CLASSES,
        "max_detections_per_image_per_class": 1,
    }
    ours = _feed(ObjectDetectionAvgPrecisionRecall(**kwargs), y_pred, y)
    theirs = _feed(ignite_vision.ObjectDetectionAvgPrecisionRecall(**kwargs), y_pred, y)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_common_metrics_same_as_ignite(ignite_vision):
    from ignite.metrics import CommonObjectDetectionMetrics as IgniteCommon

    y_pred, y = _detections(7, n_images=8)
    ours = _feed(CommonObjectDetectionMetrics(num_classes=NUM_CLASSES), y_pred, y)
    theirs = _feed(IgniteCommon(num_classes=NUM_CLASSES), y_pred, y)
    assert list(ours) == list(theirs)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_perfect_and_empty_detections():
    box = torch.tensor([[10.0, 10.0, 60.0, 60.0], [100.0, 100.0, 140.0, 150.0]])
    labels = torch.tensor([0, 1])
    perfect = ObjectDetectionAvgPrecisionRecall(num_classes=2)
    perfect.update(
        (
            [{"bbox": box, "scores": torch.tensor([0.9, 0.8]), "labels": labels}],
            [{"bbox": box, "labels": labels}],
        )
    )
    assert perfect.compute() == pytest.approx((1.0, 1.0))
    # A prediction shifted to IoU ~0.68: a hit for the thresholds 0.5..0.65 only.
    shifted = ObjectDetectionAvgPrecisionRecall(num_classes=1)
    pred = {
        "bbox": box[:1] + torch.tensor([10.0, 0.0, 10.0, 0.0]),
        "scores": torch.tensor([0.5]),
        "labels": labels[:1],
    }
    shifted.update(([pred], [{"bbox": box[:1], "labels": labels[:1]}]))
    assert shifted.compute() == pytest.approx((0.4, 0.4))
    nothing = ObjectDetectionAvgPrecisionRecall(num_classes=2)
    empty = {"bbox": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}
    nothing.update(([{**empty, "scores": torch.zeros(0)}], [empty]))
    assert nothing.compute() == (-1.0, -1.0)
    missed = ObjectDetectionAvgPrecisionRecall(num_classes=2)
    missed.update(([{**empty, "scores": torch.zeros(0)}], [{"bbox": box, "labels": labels}]))
    assert missed.compute() == (0.0, 0.0)


def test_bad_inputs():
    metric = ObjectDetectionAvgPrecisionRecall(num_classes=2)
    target = {"bbox": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}
    pred = {**target, "scores": torch.zeros(0)}
    with pytest.raises(ValueError, match="should have the same number of samples, given 1 and 2"):
        metric.update(([pred], [target, target]))
    with pytest.raises(ValueError, match="should contain at least one sample"):
        metric.update(([], []))
    with pytest.raises(ValueError, match="y_pred sample dictionaries should have 'bbox', 'scores'"):
        metric.update(([target], [target]))
    with pytest.raises(ValueError, match="y sample dictionaries should have 'bbox', 'labels'"):
        metric.update(([pred], [{"bbox": torch.zeros(0, 4)}]))
    with pytest.raises(ValueError, match="area_range should be one of"):
        ObjectDetectionAvgPrecisionRecall(area_range="huge")
    with pytest.raises(ValueError, match="iou_thresholds values should be between 0 and 1"):
        ObjectDetectionAvgPrecisionRecall(iou_thresholds=[0.5, 1.5])


def test_coco_tensor_list_to_dict_list():
    preds, targets = coco_tensor_list_to_dict_list(
        ([torch.rand(3, 6)], [torch.rand(2, 5), torch.rand(1, 5)])
    )
    assert set(preds[0]) == {"bbox", "confidence", "class"} and preds[0]["bbox"].shape == (3, 4)
    assert set(targets[1]) == {"bbox", "class"}
    _, crowd = coco_tensor_list_to_dict_list(([], [torch.rand(2, 6)]))
    assert set(crowd[0]) == {"bbox", "class", "iscrowd"}
    as_dicts = ([{"bbox": 1}], [{"bbox": 2}])
    assert coco_tensor_list_to_dict_list(as_dicts) == as_dicts


def test_attached_and_state_dict(echo_engine):
    y_pred, y = _detections(3, n_images=8)
    engine = echo_engine()
    CommonObjectDetectionMetrics(num_classes=NUM_CLASSES).attach(engine, "coco")
    state = engine.run([(y_pred[i : i + 4], y[i : i + 4]) for i in range(0, 8, 4)])
    source = ObjectDetectionAvgPrecisionRecall(num_classes=NUM_CLASSES)
    ap, ar = _feed(source, y_pred, y)
    assert state.metrics["AP@50..95"] == pytest.approx(ap)
    assert state.metrics["AR-100"] == pytest.approx(ar)
    restored = ObjectDetectionAvgPrecisionRecall(num_classes=NUM_CLASSES)
    restored.load_state_dict(source.state_dict())
    assert restored.compute() == (ap, ar)


def test_box_iou_is_ignites_and_cocos():
    """``ObjectDetectionAvgPrecisionRecall.box_iou`` (ignite's attribute) gives ignite's IoU
    matrix exactly, crowd ground truths divided by the prediction's area, as COCO does."""
    import torch
    from ignite.metrics import ObjectDetectionAvgPrecisionRecall as IgniteODAPR
    from oxignite.metrics import ObjectDetectionAvgPrecisionRecall

    ours, theirs = ObjectDetectionAvgPrecisionRecall(num_classes=3), IgniteODAPR(num_classes=3)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        pred = torch.rand(7, 4, generator=g, dtype=torch.float64) * 100
        gt = torch.rand(5, 4, generator=g, dtype=torch.float64) * 100
        pred[:, 2:] += pred[:, :2]
        gt[:, 2:] += gt[:, :2]
        crowd = torch.rand(5, generator=g) > 0.7
        assert torch.equal(ours.box_iou(pred, gt, crowd), theirs.box_iou(pred, gt, crowd))
    try:
        from pycocotools.mask import iou as coco_iou
    except ImportError:
        return
    xywh_pred, xywh_gt = pred.clone(), gt.clone()
    xywh_pred[:, 2:] -= xywh_pred[:, :2]
    xywh_gt[:, 2:] -= xywh_gt[:, :2]
    expected = coco_iou(xywh_pred.numpy(), xywh_gt.numpy(), crowd.int().numpy())
    assert (ours.box_iou(pred, gt, crowd).numpy() == expected).all()
