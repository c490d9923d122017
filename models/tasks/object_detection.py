"""`object_detection`: boxes and class names of the objects in an image.

Owns the detector (keras-cv `YOLOV8Detector` over a keras_cv YOLOV8Backbone or
CSPDarkNetBackbone, or keras-hub `RetinaNetObjectDetector` over a keras_hub
RetinaNetBackbone; `model.head.detection` picks it and sets its non-max
suppression), the losses (the detector's own), the metrics (COCO mAP@[.5:.95],
mAP@.5 and mAP@.75 by pycocotools, on the validation split every epoch and on
the held-out split), the plots (augmented samples and predictions with their
boxes) and the export:

- `serving_default(image_bytes: tf.string [batch])` returns, for each image,
  `boxes` float32 [batch, D, 4] (xyxy pixels of that image at its own size,
  not the resized one), `scores` [batch, D], `classes` int32 [batch, D],
  `class_names` [batch, D] and `num_detections` [batch]; rows past
  `num_detections` are padding (boxes and classes -1, scores 0, names "");
- `probabilities(image_bytes)` adds `probabilities` [batch, D, C + 4]: each
  detection's score at its class then its box as fractions of the image;
- `raw_predictions(image_bytes)` gives the detector's outputs before non-max
  suppression, [batch, anchors, K] (its outputs concatenated by name), which
  the publish step compares with the Keras model: suppression keeps or drops a
  box scoring at its threshold on the last bit, so the detections themselves
  are no fair measure of whether the export computes what the model does.

Images must go through a `resize` stage (batches have one size); boxes move
with the pixels through `resize` and `augment` (Keras layers given
`bounding_boxes`), and are padded with -1 per batch.

Example (YAML):
    task: object_detection
    data: {source: {type: coco, path: data/generated/shapes/coco.json}}
    stages: [{resize: {height: 64, width: 64}}, {augment: [random_flip]}, {rescale: 0.00392156862745098}]
    model:
      backbone: {source: keras_cv, name: YOLOV8Backbone,
                 config: {stackwise_channels: [16, 32, 64, 128], stackwise_depth: [1, 1, 1, 1], include_rescaling: false}}
      head: {detection: {detector: yolov8, confidence_threshold: 0.1, max_detections: 20, fpn_depth: 1}}
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation, Task
from models.tasks.classes import ClassTask
from models.tasks.sizing import ObjectSized
from pipelines.options import Fraction, Options
from pipelines.registry import tasks
from pipelines.spec import keyed


class DetectionSpec(Options):
    """object_detection: which detector sits on the backbone and how its boxes are kept.

    Example (YAML):
        model: {head: {detection: {detector: yolov8, confidence_threshold: 0.1, max_detections: 20}}}
    """

    detector: Literal["auto", "yolov8", "retinanet"] = Field(
        "auto", description="yolov8 (keras-cv YOLOV8Detector: a keras_cv YOLOV8Backbone or CSPDarkNetBackbone), "
                            "retinanet (keras-hub RetinaNetObjectDetector: a keras_hub RetinaNetBackbone), or auto: "
                            "the one the backbone fits."
    )
    nms_iou_threshold: Fraction = Field(
        0.5, gt=0, description="Non-max suppression: a box overlapping a better one by more IoU is dropped."
    )
    confidence_threshold: Fraction = Field(
        0.2, description="Detections scoring below this are dropped (in training's mAP and in the export)."
    )
    max_detections: int = Field(100, ge=1, le=1000, description="Most detections kept per image.")
    fpn_depth: int = Field(2, ge=1, le=3, description="yolov8: depth of the CSP blocks of its feature pyramid.")


class DetectionHead(Options):
    """object_detection's head: the detector and how its boxes are kept."""

    detection: DetectionSpec = Field(
        default_factory=DetectionSpec, description="Detector and non-max suppression settings."
    )


@tasks.register("object_detection", DetectionHead)
class ObjectDetection(ObjectSized, ClassTask):
    """Find objects and their classes (YOLOv8, RetinaNet); bytes-in export answering boxes in each image's pixels.

    `resize: auto` and `training.epochs: auto` are chosen from the training
    split's boxes (`models.tasks.sizing`): small objects keep 16 px at the
    chosen size, a multiple of 32 (YOLOv8's largest stride).
    """

    input_name = "image_bytes"
    target_key = "bounding_boxes"
    backends = ("tensorflow",)
    backend_notes = {"jax": "keras-cv's detectors compute their box loss with TensorFlow only: on JAX the "
                            "box targets do not reach it"}
    parity_signature = "raw_predictions"
    metric = "map_50"
    stratify = False
    weighs_classes = False
    class_weight = Task.class_weight

    def __init__(self, spec):
        super().__init__(spec)
        self.options = self.head.detection
        self.model_size = None

    @classmethod
    def check_spec(cls, spec) -> None:
        """The detector brings its own losses, and weighs no classes."""
        super().check_spec(spec)
        if spec.training.loss != "auto":
            raise ValueError("training.loss: object_detection trains with its detector's own losses; use auto")

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives boxes and a resize stage sets the size."""
        if examples.kind != "detection":
            raise ValueError(f"task object_detection needs images with boxes (a coco, voc or yolo source); "
                             f"data.source gives {examples.kind}")
        resizes = [options for name, options in map(keyed, self.spec.stages) if name == "resize"]
        if not resizes:
            raise ValueError("task object_detection needs a resize stage (a batch of images has one size), "
                             "e.g. stages: [resize: auto] (chosen from the objects' sizes)")
        if resizes[-1].crop_to_aspect_ratio:
            raise ValueError("stages.resize.crop_to_aspect_ratio: object_detection maps boxes back to each image "
                             "by scaling, which a crop would break; leave it false")

    def object_sizes(self, train):
        """The training images' sizes and their boxes'."""
        from data.object_sizes import box_sizes

        return box_sizes(train.image_sizes, train.labels)

    def targets(self):
        """Images and Keras core boxes {"boxes": float32 [k, 4] xyxy pixels, "labels": int32 [k]}."""
        import tensorflow as tf

        return lambda images, boxes: (images, {"boxes": tf.cast(boxes["boxes"], tf.float32),
                                               "labels": tf.cast(boxes["labels"], tf.int32)})

    def batcher(self, dataset, batch_size: int):
        """Batches whose boxes are padded with -1 to the most boxes of an image in the batch."""
        return dataset.padded_batch(batch_size, padding_values=(0.0, {"boxes": -1.0, "labels": -1}))

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """The detector `model.head.detection.detector` names (or the backbone fits) over the backbone."""
        from models.tasks.detection_model import build_detector, detector_kind

        kind = detector_kind(self.options.detector, backbone)
        return build_detector(kind, backbone, self.num_classes, self.options, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """Nothing: each detector brings its losses (YOLOv8: CIoU + cross-entropy; RetinaNet: Huber + focal)."""
        return {}

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out):
        """Losses and COCO mAP of the held-out split, and a predictions PNG (true and predicted boxes)."""
        from models.tasks.detection_model import detect, padded_targets
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        underfit = self.underfit(metrics.get("test_map_50", 0.0), "mAP@0.5")
        images, boxes = next(iter(dataset))
        images, truth = images[:8], padded_targets(boxes)
        found = {k: np.asarray(v) for k, v in detect(model, images).items()}
        panels = [[_shown(truth["boxes"][i], truth["labels"][i]),
                   _shown(found["boxes"][i], found["classes"][i], found["scores"][i])] for i in range(len(images))]
        figure = plots.box_grid(np.asarray(images), panels, self.class_names, ("true", "predicted"), columns=2,
                                title="Held-out images: true and predicted boxes")
        return Evaluation(metrics, {"predictions.png": figure}).update(underfit)

    def data_figures(self, datasets, examples) -> dict:
        """Augmented training images with their boxes, as the model sees them."""
        from models.tasks.detection_model import padded_targets
        from models import plots

        images, boxes = next(iter(datasets.train))
        boxes = padded_targets(boxes)
        panels = [[_shown(b, c)] for b, c in zip(boxes["boxes"][:16], boxes["labels"][:16])]
        return {"augmented_samples.png": plots.box_grid(np.asarray(images)[:16], panels, examples.class_names,
                                                        title="Augmented training samples")}

    # Export -----------------------------------------------------------------------------------

    def _prepared(self, datasets, image_bytes):
        """A batch of encoded images decoded and preprocessed as the model's input, and each one's size."""
        import tensorflow as tf

        channels = int(datasets.model_input_shape[-1])

        def prepared(encoded):
            image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
            image.set_shape([None, None, channels])
            return datasets.preprocess(tf.cast(image, tf.float32)[None])[0], tf.shape(image)[:2]

        return tf.map_fn(prepared, image_bytes, fn_output_signature=(
            tf.TensorSpec(datasets.model_input_shape, tf.float32), tf.TensorSpec([2], tf.int32)))

    def _raw(self, model, datasets, image_bytes):
        """The detector's outputs before non-max suppression, concatenated by name: [batch, anchors, K]."""
        import tensorflow as tf

        outputs = model(self._prepared(datasets, image_bytes)[0], training=False)
        return tf.concat([tf.cast(outputs[name], tf.float32) for name in sorted(outputs)], axis=-1)

    def _answer(self, model, datasets, image_bytes) -> dict:
        """Detections of a batch of encoded images, boxes in each image's own pixels; with `probabilities`."""
        import tensorflow as tf

        from models.tasks.detection_model import detect, to_image_pixels

        images, sizes = self._prepared(datasets, image_bytes)
        found = detect(model, images)
        valid = found["classes"] >= 0
        height, width = (tf.cast(sizes[:, i, None, None], tf.float32) for i in (0, 1))
        limits = tf.concat([width, height, width, height], axis=-1)
        boxes = tf.minimum(tf.maximum(to_image_pixels(found["boxes"], self.model_size, (height, width)), 0.0), limits)
        boxes = tf.where(valid[..., None], boxes, -1.0)
        scored = tf.one_hot(found["classes"], self.num_classes) * found["scores"][..., None]
        return {**found, "boxes": boxes,
                "probabilities": tf.concat([scored, tf.where(valid[..., None], boxes / limits, 0.0)], axis=-1)}

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track; `serving_default` (detections) and `probabilities` endpoints, both bytes in."""
        import tensorflow as tf

        names = tf.constant(self.class_names)

        def serve_probabilities(image_bytes):
            answer = self._answer(model, datasets, image_bytes)
            valid = answer["classes"] >= 0
            return {**answer, "class_names": tf.where(valid, tf.gather(names, tf.maximum(answer["classes"], 0)), "")}

        def serve(image_bytes):
            return {k: v for k, v in serve_probabilities(image_bytes).items() if k != "probabilities"}

        def serve_raw(image_bytes):
            return {"raw_predictions": self._raw(model, datasets, image_bytes)}

        spec = [tf.TensorSpec([None], tf.string, name=self.input_name)]
        endpoints = {"serving_default": (serve, spec), "probabilities": (serve_probabilities, spec),
                     "raw_predictions": (serve_raw, spec)}
        return [model, *datasets.preprocessing_layers], endpoints

    def reference(self, model, datasets, requests) -> np.ndarray:
        """What the in-memory Keras model gives for the same batch of image bytes."""
        import tensorflow as tf

        image_bytes = tf.constant(np.concatenate([r[self.input_name] for r in requests]))
        return np.asarray(self._raw(model, datasets, image_bytes))

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute and relative (to the largest output) difference of the outputs before suppression."""
        difference = float(np.max(np.abs(np.asarray(served["raw_predictions"]) - reference)))
        return {"export_parity_max_abs_diff": difference,
                "export_parity_max_rel_diff": difference / max(float(np.max(np.abs(reference))), 1.0)}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Outputs within `tolerance`, relative to their scale (box logits run to tens)."""
        return parity["export_parity_max_rel_diff"] <= tolerance


def _shown(boxes, classes, scores=None) -> dict:
    """The rows of one image's padded boxes that hold a box, for `plots.box_grid`."""
    boxes, classes = np.asarray(boxes), np.asarray(classes)
    kept = classes >= 0
    shown = {"boxes": boxes[kept], "classes": classes[kept]}
    if scores is not None:
        shown["scores"] = np.asarray(scores)[kept]
    return shown
