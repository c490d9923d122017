"""Object detection parts: the two detectors, their targets, box mapping, COCO mAP and detections.

Boxes are `BOX_FORMAT` (xyxy, absolute pixels) everywhere: sources convert
into it, the geometric stages move boxes in it, both detectors are built with
it and the export answers in it. The one mapping left, from the model's input
pixels back to an image's own pixels, goes through relative coordinates with
`keras.utils.bounding_boxes.convert_format` (`to_image_pixels`).

Targets are Keras core box dicts padded with -1 per batch:
`{"boxes": float32 [B, M, 4], "labels": int32 [B, M]}`; a label of -1 marks
padding, or a box that augmentation pushed out of the image.

- `YOLOV8` (keras-cv's `YOLOV8Detector`) and `RetinaNet` (keras-hub's
  `RetinaNetObjectDetector`) train on those targets, and their `evaluate`
  adds COCO `map`, `map_50` and `map_75`, so `fit` reports `val_map_50`.
- `detect(model, images)` runs the model and its non-max suppression.
- `coco_map` scores detections against the truth with pycocotools.

Example:
    >>> detector = build_detector("yolov8", backbone, num_classes=3, options=DetectionSpec())  # doctest: +SKIP
    >>> detector.compile(optimizer="adam")                                                  # doctest: +SKIP
    >>> detector.fit(images, {"boxes": boxes, "labels": labels})                            # doctest: +SKIP
    >>> detector.evaluate(images, {"boxes": boxes, "labels": labels}, return_dict=True)["map_50"]  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import contextlib
import io

import keras
import keras_cv
import keras_hub
import numpy as np
import tensorflow as tf

from data.annotations import BOX_FORMAT

DETECTORS = ("yolov8", "retinanet")


def to_image_pixels(boxes, from_size, to_size):
    """Boxes in pixels of a `from_size` (height, width) image, in pixels of a `to_size` one.

    Maps what a model sees after `resize` back to the original image (and the
    other way round); padding (-1) is not kept, mask it afterwards.

    Example:
        >>> to_image_pixels(tf.constant([[8.0, 16.0, 32.0, 64.0]]), (64, 64), (32, 80)).numpy().tolist()
        [[10.0, 8.0, 40.0, 32.0]]
    """
    convert = keras.utils.bounding_boxes.convert_format
    relative = convert(boxes, source=BOX_FORMAT, target="rel_" + BOX_FORMAT, height=from_size[0], width=from_size[1])
    return convert(relative, source="rel_" + BOX_FORMAT, target=BOX_FORMAT, height=to_size[0], width=to_size[1])


def padded_targets(bounding_boxes: dict) -> dict:
    """A batch's `{"boxes", "labels"}` with int32 labels and every box of label -1 set to -1.

    Augmentation clips boxes to the image and gives those it pushed out label
    -1, and turns the -1 padding into empty boxes; the detectors want both as
    -1 rows.

    Example:
        >>> out = padded_targets({"boxes": tf.constant([[[1.0, 1, 5, 5], [20, 0, 20, 0]]]),
        ...                       "labels": tf.constant([[2.0, -1.0]])})
        >>> out["boxes"].numpy().tolist(), out["labels"].numpy().tolist()
        ([[[1.0, 1.0, 5.0, 5.0], [-1.0, -1.0, -1.0, -1.0]]], [[2, -1]])
    """
    labels = tf.cast(bounding_boxes["labels"], tf.int32)
    boxes = tf.cast(bounding_boxes["boxes"], tf.float32)
    return {"boxes": tf.where(labels[..., None] >= 0, boxes, -1.0), "labels": labels}


def detect(model, images) -> dict:
    """The detector's boxes after non-max suppression, for a batch of model inputs.

    Returns `boxes` float32 [B, D, 4] (xyxy pixels of the model input), `scores`
    float32 [B, D], `classes` int32 [B, D] and `num_detections` int32 [B]; the
    first `num_detections` rows of each image hold its detections, best first,
    the rest are padding (boxes and classes -1, scores 0).

    Example:
        >>> found = detect(detector, tf.zeros((2, 64, 64, 3)))   # doctest: +SKIP
        >>> found["boxes"].shape                                 # doctest: +SKIP
        TensorShape([2, 100, 4])
    """
    decoded = model.decode_predictions(model(images, training=False), images)
    classes = decoded["classes"] if "classes" in decoded else decoded["labels"]
    count = tf.cast(decoded["num_detections"], tf.int32)
    valid = tf.range(tf.shape(classes)[1])[None, :] < count[:, None]
    return {
        "boxes": tf.where(valid[..., None], tf.cast(decoded["boxes"], tf.float32), -1.0),
        "scores": tf.where(valid, tf.cast(decoded["confidence"], tf.float32), 0.0),
        "classes": tf.where(valid, tf.cast(classes, tf.int32), -1),
        "num_detections": count,
    }


def coco_map(truth: list[dict], found: list[dict], num_classes: int) -> dict[str, float]:
    """COCO box mAP by pycocotools: `map` (IoU .5:.95), `map_50` and `map_75`, 0 where undefined.

    `truth` holds one `{"boxes": (k, 4), "labels": (k,)}` per image and
    `found` one `{"boxes": (d, 4), "scores": (d,), "classes": (d,)}`, boxes in
    `BOX_FORMAT` pixels. Every image counts, also those without detections.

    Example:
        >>> box = np.array([[0.0, 0, 10, 10]])
        >>> coco_map([{"boxes": box, "labels": [1]}], [{"boxes": box, "scores": [0.9], "classes": [1]}], 2)
        {'map': 1.0, 'map_50': 1.0, 'map_75': 1.0}
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(boxes):
        boxes = np.asarray(boxes, "float64").reshape(-1, 4)
        return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)

    annotations = []
    for image, item in enumerate(truth):
        for box, label in zip(xywh(item["boxes"]), np.asarray(item["labels"]).reshape(-1)):
            annotations.append({"id": len(annotations) + 1, "image_id": image, "category_id": int(label),
                                "bbox": box.tolist(), "area": float(box[2] * box[3]), "iscrowd": 0})
    detections = [
        [image, *box, float(score), int(label)]
        for image, item in enumerate(found)
        for box, score, label in zip(xywh(item["boxes"]), np.asarray(item["scores"]).reshape(-1),
                                     np.asarray(item["classes"]).reshape(-1))
    ]
    scores = {"map": 0.0, "map_50": 0.0, "map_75": 0.0}
    if not annotations or not detections:
        return scores
    with contextlib.redirect_stdout(io.StringIO()):
        ground_truth = COCO()
        ground_truth.dataset = {"images": [{"id": i} for i in range(len(truth))], "annotations": annotations,
                                "categories": [{"id": c} for c in range(num_classes)]}
        ground_truth.createIndex()
        evaluation = COCOeval(ground_truth, ground_truth.loadRes(np.array(detections)), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {name: max(float(value), 0.0) for name, value in zip(scores, evaluation.stats[:3])}


class BoxScores:
    """Ground truth and detections gathered batch by batch, scored at the end with `coco_map`.

    Example:
        >>> scores = BoxScores(num_classes=2)
        >>> box = np.array([[[0.0, 0, 10, 10], [-1, -1, -1, -1]]])
        >>> scores.update(box, np.array([[1, -1]]), box, np.array([[0.9, 0.0]]), np.array([[1, -1]]))
        >>> scores.result()["map_50"]
        1.0
    """

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.reset()

    def reset(self) -> None:
        self.truth, self.found = [], []

    def update(self, true_boxes, true_labels, boxes, scores, classes) -> None:
        """One batch: padded truth `[B, M, 4]`, `[B, M]` and detections `[B, D, 4]`, `[B, D]`, `[B, D]`."""
        true_boxes, true_labels = np.asarray(true_boxes), np.asarray(true_labels)
        boxes, scores, classes = np.asarray(boxes), np.asarray(scores), np.asarray(classes)
        for index in range(len(true_boxes)):
            kept, shown = true_labels[index] >= 0, classes[index] >= 0
            self.truth.append({"boxes": true_boxes[index][kept], "labels": true_labels[index][kept]})
            self.found.append({"boxes": boxes[index][shown], "scores": scores[index][shown],
                               "classes": classes[index][shown]})

    def result(self) -> dict[str, float]:
        return coco_map(self.truth, self.found, self.num_classes)


class _PipelineDetector:
    """What both detectors add to their library class: the pipeline's targets and mAP in `evaluate`.

    `train_step` and `test_step` take `(images, {"boxes", "labels"})` padded
    with -1 (`padded_targets`), renamed to what the library class reads
    (`label_key`). `test_step` also runs non-max suppression and keeps the
    detections, so `evaluate(..., return_dict=True)` (and the validation of
    `fit`) adds COCO `map`, `map_50` and `map_75`. That gathering runs outside
    XLA, so `compile` always sets `jit_compile=False`.
    """

    label_key = "labels"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.box_scores = BoxScores(self.num_classes)

    def _targets(self, bounding_boxes: dict) -> dict:
        padded = padded_targets(bounding_boxes)
        return {"boxes": padded["boxes"], self.label_key: padded["labels"]}

    def compile(self, *args, **kwargs):
        super().compile(*args, **{**kwargs, "jit_compile": False})

    def train_step(self, data):
        images, bounding_boxes = data
        return super().train_step((images, self._targets(bounding_boxes)))

    def test_step(self, data):
        images, bounding_boxes = data
        logs = super().test_step((images, self._targets(bounding_boxes)))
        truth, found = padded_targets(bounding_boxes), detect(self, images)
        tf.py_function(self.box_scores.update, [truth["boxes"], truth["labels"], found["boxes"], found["scores"],
                                                found["classes"]], [])
        return logs

    def evaluate(self, *args, **kwargs):
        self.box_scores.reset()
        logs = super().evaluate(*args, **kwargs)
        if isinstance(logs, dict):
            logs.update(self.box_scores.result())
        return logs


@keras.saving.register_keras_serializable(package="kpipe")
class YOLOV8(_PipelineDetector, keras_cv.models.YOLOV8Detector):
    """keras-cv's anchor-free YOLOv8 detector on the pipeline's targets; CIoU and cross-entropy losses by default."""

    label_key = "classes"

    def compile(self, *args, box_loss="ciou", classification_loss="binary_crossentropy", **kwargs):
        super().compile(*args, box_loss=box_loss, classification_loss=classification_loss, **kwargs)


@keras.saving.register_keras_serializable(package="kpipe")
class RetinaNet(_PipelineDetector, keras_hub.models.RetinaNetObjectDetector):
    """keras-hub's RetinaNet (anchors on a feature pyramid, focal loss) on the pipeline's targets."""


def detector_kind(requested: str, backbone) -> str:
    """`yolov8` or `retinanet`: what `requested` ("auto" or either) resolves to for `backbone`.

    `auto` picks YOLOv8 for a keras-cv backbone with pyramid levels P3..P5
    (YOLOV8Backbone, CSPDarkNetBackbone) and RetinaNet for a keras-hub
    `RetinaNetBackbone`.
    """
    is_pyramid = {"P3", "P4", "P5"} <= set(getattr(backbone, "pyramid_level_inputs", None) or {})
    is_retinanet = isinstance(backbone, keras_hub.models.RetinaNetBackbone)
    kind = requested if requested != "auto" else "yolov8" if is_pyramid else "retinanet" if is_retinanet else None
    if kind == "yolov8" and not is_pyramid:
        raise ValueError(f"model.head.detection.detector: yolov8 needs a keras_cv backbone with pyramid levels "
                         f"P3..P5 (YOLOV8Backbone, CSPDarkNetBackbone), got {type(backbone).__name__}")
    if kind == "retinanet" and not is_retinanet:
        raise ValueError(f"model.head.detection.detector: retinanet needs a keras_hub RetinaNetBackbone "
                         f"(image_encoder: ResNetBackbone ...), got {type(backbone).__name__}")
    if kind is None:
        raise ValueError(f"model.backbone {type(backbone).__name__} cannot detect: use a keras_cv YOLOV8Backbone or "
                         "CSPDarkNetBackbone (YOLOv8) or a keras_hub RetinaNetBackbone (RetinaNet)")
    return kind


def build_detector(kind: str, backbone, num_classes: int, options, name: str = "detector"):
    """A `YOLOV8` or `RetinaNet` over `backbone`, its non-max suppression set by `options` (a DetectionSpec).

    Example:
        >>> backbone = keras_cv.models.YOLOV8Backbone(stackwise_channels=[8, 16, 32, 32], stackwise_depth=[1, 1, 1, 1],
        ...                                           include_rescaling=False, input_shape=(32, 32, 3))
        >>> detector = build_detector("yolov8", backbone, 3, DetectionSpec(max_detections=5))  # doctest: +SKIP
        >>> detect(detector, tf.zeros((1, 32, 32, 3)))["boxes"].shape                          # doctest: +SKIP
        TensorShape([1, 5, 4])
    """
    suppression = {"bounding_box_format": BOX_FORMAT, "iou_threshold": options.nms_iou_threshold,
                   "confidence_threshold": options.confidence_threshold, "max_detections": options.max_detections}
    # keras-cv's suppression for both: keras-hub's needs a batch size known when tracing (no `evaluate`, no export).
    if kind == "yolov8":  # its head ends in a sigmoid; RetinaNet's gives logits
        decoder = keras_cv.layers.NonMaxSuppression(from_logits=False, **suppression)
        return YOLOV8(backbone=backbone, num_classes=num_classes, bounding_box_format=BOX_FORMAT,
                      fpn_depth=options.fpn_depth, prediction_decoder=decoder, name=name)
    decoder = keras_cv.layers.NonMaxSuppression(from_logits=True, **suppression)
    return RetinaNet(backbone=backbone, num_classes=num_classes, bounding_box_format=BOX_FORMAT,
                     prediction_decoder=decoder, name=name)
