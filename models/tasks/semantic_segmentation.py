"""`semantic_segmentation`: a class id for every pixel.

Owns the head (the backbone's features brought back to the input size, then a
1x1 convolution with softmax), the loss (`training.loss`: `auto` or
`sparse_categorical_crossentropy`, `dice`, or `ce_dice` for their sum), the
metrics (mean IoU, per-class IoU, pixel accuracy), the plots (per-class IoU,
predicted masks over held-out images) and the export:

- `serving_default(image_bytes: tf.string [batch])` returns `mask`, the class
  id of every pixel at each input image's own size (a batch of different sizes
  is padded with -1 to the largest), `image_height` and `image_width`;
- `probabilities(image_bytes)` adds the per-class `probabilities` at that size.

Masks move with the pixels through `resize` and `augment` (Keras layers given
`segmentation_masks`).

Example (YAML):
    task: semantic_segmentation
    data: {source: {type: mask_folder, images: shapes/images, masks: shapes/masks}}
    stages: [{resize: {height: 64, width: 64}}, {augment: [random_flip]}, {rescale: 0.00392156862745098}]
    model: {backbone: {source: builtin, name: unet, config: {filters: [16, 32, 64]}}}
    training: {loss: ce_dice}
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation, Task
from models.tasks.classes import ClassTask
from models.tasks.heads import DenseHead
from models.tasks.sizing import SAMPLED_MASKS, ObjectSized
from pipelines.registry import tasks
from pipelines.spec import keyed


@tasks.register("semantic_segmentation", DenseHead)
class SemanticSegmentation(ObjectSized, ClassTask):
    """Label every pixel with a class (U-Net, DeepLabV3); bytes-in export answering masks at the input's size.

    `resize: auto` and `training.epochs: auto` are chosen from the regions of
    the training masks (`models.tasks.sizing`): small regions keep 16 px at the
    chosen size, a multiple of 16.
    """

    input_name = "image_bytes"
    target_key = "segmentation_masks"
    parity_signature = "probabilities"
    metric = "mean_iou"
    weighs_classes = False  # per-pixel (per-token) targets: Keras weighs classes of one label per example
    class_weight = Task.class_weight
    input_multiple = 16
    target_steps = 1000
    epoch_range = (15, 100)
    least_patience = 5

    def __init__(self, spec):
        super().__init__(spec)
        self.ignore_index = None

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images with class-id masks."""
        if examples.kind != "segmentation":
            raise ValueError(f"task semantic_segmentation needs images with masks (a mask_folder source); "
                             f"data.source gives {examples.kind}")
        if examples.num_classes < 2:
            raise ValueError(f"task semantic_segmentation needs at least 2 classes, got {examples.class_names}")
        self.ignore_index = examples.ignore_index
        resizes = [name for name, _ in map(keyed, self.spec.stages) if name == "resize"]
        if not resizes:
            raise ValueError("task semantic_segmentation needs a resize stage (a batch of images has one size), "
                             "e.g. stages: [resize: auto] (chosen from the mask regions' sizes)")

    def object_sizes(self, train):
        """The sizes of the regions (connected pixels of one class) of up to SAMPLED_MASKS training masks."""
        from PIL import Image

        from data.object_sizes import region_sizes

        picked = np.unique(np.linspace(0, len(train.labels) - 1, min(SAMPLED_MASKS, len(train.labels))).astype(int))
        masks = (np.asarray(Image.open(train.labels[i])) for i in picked)
        return region_sizes(masks, self.ignore_index)

    def targets(self):
        """Images and int32 masks [H, W, 1]."""
        import tensorflow as tf

        return lambda images, masks: (images, tf.cast(masks, tf.int32))

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Backbone features, resized to the input size when smaller, then dropout and a 1x1 softmax conv."""
        import keras

        inputs = keras.Input(input_shape, name="images")
        x = backbone(inputs)
        if isinstance(x, dict):
            raise ValueError("model.backbone must give a feature map [batch, height, width, channels]")
        if tuple(x.shape[1:3]) != tuple(input_shape[:2]):
            x = keras.layers.Resizing(input_shape[0], input_shape[1], interpolation="bilinear", name="upsample")(x)
        for index, units in enumerate(self.head.hidden_units):
            x = keras.layers.Conv2D(units, 3, padding="same", activation="relu", name=f"head_conv{index}")(x)
        if self.head.dropout:
            x = keras.layers.Dropout(self.head.dropout, name="head_dropout")(x)
        outputs = keras.layers.Conv2D(self.num_classes, 1, activation="softmax", dtype="float32", name="probabilities")(x)
        return keras.Model(inputs, outputs, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """The loss the spec names (cross-entropy, Dice or both), mean IoU and pixel accuracy."""
        import keras

        from models.segmentation import (
            DiceLoss,
            SparseCrossEntropyPlusDice,
            segmentation_metrics,
        )

        classes, ignore = self.num_classes, self.ignore_index
        losses = {
            "auto": lambda: keras.losses.SparseCategoricalCrossentropy(ignore_class=ignore),
            "dice": lambda: DiceLoss(classes, ignore_index=ignore),
            "ce_dice": lambda: SparseCrossEntropyPlusDice(classes, ignore_index=ignore),
        }
        name = self.spec.training.loss
        loss = losses[name]() if name in losses else name
        return {"loss": loss, "metrics": segmentation_metrics(classes, ignore)}

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out):
        """Mean and per-class IoU, pixel accuracy, the per-class IoU chart and a predictions PNG."""
        from models.segmentation import iou_per_class, mean_iou
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        true, predicted, shown = [], [], []
        for images, masks in dataset:
            guesses = np.asarray(model(images, training=False)).argmax(-1)
            true.append(np.asarray(masks)[..., 0])
            predicted.append(guesses)
            if len(shown) < 8:
                shown.extend(zip(np.asarray(images), true[-1], guesses))
        true, predicted = np.concatenate(true), np.concatenate(predicted)
        ious = iou_per_class(true, predicted, len(self.class_names), self.ignore_index)
        metrics["test_mean_iou"] = mean_iou(true, predicted, len(self.class_names), self.ignore_index)
        counted = true != self.ignore_index if self.ignore_index is not None else np.ones_like(true, bool)
        metrics["test_pixel_accuracy"] = float(np.mean(true[counted] == predicted[counted]))
        metrics.update({f"test_iou_{name}": float(v) for name, v in zip(self.class_names, ious) if not np.isnan(v)})
        background = mean_iou(true, np.zeros_like(true), len(self.class_names), self.ignore_index)
        metrics["test_background_baseline_mean_iou"] = background
        underfit = self.underfit(metrics["test_mean_iou"], "mean IoU",
                                 (f"answering {self.class_names[0]!r} for every pixel", background))
        shown = shown[:8]
        figures = {
            "iou_per_class.png": plots.bar_chart(
                {n: float(v) for n, v in zip(self.class_names, np.nan_to_num(ious))}, "IoU per class (held-out split)",
                "IoU", (0, 1)),
            "predictions.png": plots.mask_grid(
                np.array([s[0] for s in shown]), [[s[1], s[2]] for s in shown], [""] * len(shown),
                len(self.class_names), columns=2, title="Held-out images: true and predicted masks"),
        }
        return Evaluation(metrics, figures).update(underfit)

    def data_figures(self, datasets, examples) -> dict:
        """Augmented training images with their masks, as the model sees them."""
        from models import plots

        images, masks = next(iter(datasets.train))
        images, masks = np.asarray(images)[:16], np.asarray(masks)[:16, ..., 0]
        return {"augmented_samples.png": plots.mask_grid(images, [[m] for m in masks], [""] * len(images),
                                                         examples.num_classes, title="Augmented training samples")}

    # Export -----------------------------------------------------------------------------------

    def _predict(self, model, datasets, image_bytes, channels: int):
        """Per-pixel probabilities at each image's own size, padded to the batch's largest; and the sizes."""
        import tensorflow as tf

        def decode(encoded):
            image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
            image.set_shape([None, None, channels])
            return image

        sizes = tf.map_fn(lambda b: tf.shape(decode(b))[:2], image_bytes, fn_output_signature=tf.int32)
        largest = tf.reduce_max(tf.concat([sizes, tf.zeros([1, 2], tf.int32)], 0), axis=0)

        def one(encoded):
            image = tf.cast(decode(encoded), tf.float32)
            size = tf.shape(image)[:2]
            probabilities = model(datasets.preprocess(image[None]), training=False)[0]
            probabilities = tf.image.resize(probabilities, size, method="bilinear")
            padding = [[0, largest[0] - size[0]], [0, largest[1] - size[1]], [0, 0]]
            return tf.pad(probabilities, padding)

        probabilities = tf.map_fn(one, image_bytes, fn_output_signature=tf.TensorSpec([None, None, None], tf.float32))
        return probabilities, sizes

    def _outputs(self, probabilities, sizes):
        import tensorflow as tf

        rows = tf.range(tf.shape(probabilities)[1])[None, :, None] < sizes[:, 0, None, None]
        cols = tf.range(tf.shape(probabilities)[2])[None, None, :] < sizes[:, 1, None, None]
        mask = tf.where(rows & cols, tf.argmax(probabilities, axis=-1, output_type=tf.int32), -1)
        return {"mask": mask, "image_height": sizes[:, 0], "image_width": sizes[:, 1]}

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track; `serving_default` (masks) and `probabilities` endpoints, both bytes in."""
        import tensorflow as tf

        channels = int(datasets.model_input_shape[-1])

        def serve(image_bytes):
            return self._outputs(*self._predict(model, datasets, image_bytes, channels))

        def serve_probabilities(image_bytes):
            probabilities, sizes = self._predict(model, datasets, image_bytes, channels)
            return {**self._outputs(probabilities, sizes), "probabilities": probabilities}

        spec = [tf.TensorSpec([None], tf.string, name=self.input_name)]
        endpoints = {"serving_default": (serve, spec), "probabilities": (serve_probabilities, spec)}
        return [model, *datasets.preprocessing_layers], endpoints

    def reference(self, model, datasets, requests) -> np.ndarray:
        """What the in-memory Keras model gives for the same batch of image bytes."""
        import tensorflow as tf

        image_bytes = tf.constant(np.concatenate([r[self.input_name] for r in requests]))
        channels = int(datasets.model_input_shape[-1])
        return np.asarray(self._predict(model, datasets, image_bytes, channels)[0])
