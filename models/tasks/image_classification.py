"""`image_classification`: one label per image.

Owns the head (pooling, dense layers, dropout, softmax), the loss (categorical
cross-entropy on one-hot labels, so MixUp/CutMix can mix them), the test
metrics and plots, and the export signatures:

- `serving_default(image_bytes: tf.string [batch])`: PNG/JPEG bytes in, decoded,
  resized and preprocessed inside the graph;
- `predict_tensor(images: float32 [batch, H, W, C])`: the model's own input.

Both return `probabilities`, `class_ids` and `class_names`.

Example:
    >>> task = ImageClassification(spec)                                      # doctest: +SKIP
    >>> model = task.build_model(backbone, input_shape=(8, 8, 1), num_classes=10)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation
from models.tasks.classes import ClassTask
from models.tasks.heads import PooledHead
from pipelines.registry import tasks


@tasks.register("image_classification", PooledHead)
class ImageClassification(ClassTask):
    """Classify images into one of N classes (softmax head, bytes-in TF Serving export)."""

    input_name = "image_bytes"

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early when the source does not give images with at least two classes."""
        if len(examples.input_shape) != 3:
            raise ValueError(
                f"task image_classification needs images (height, width, channels); "
                f"data.source gives rows of shape {examples.input_shape}"
            )
        if examples.num_classes < 2:
            raise ValueError(f"task image_classification needs at least 2 classes, got {examples.class_names}")

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Backbone + pooling + hidden dense layers + dropout + softmax, as a functional model."""
        import keras

        inputs = keras.Input(input_shape, name="images")
        x = backbone(inputs)
        if len(x.shape) == 4:
            pool = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D,
                    "flatten": keras.layers.Flatten}[self.head.pooling]
            x = pool(name="pool")(x)
        return keras.Model(inputs, self.softmax_head(x), name=self.spec.name.replace("-", "_"))

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out):
        """Held-out metrics (Keras metrics, macro precision/recall/F1, majority baseline), the confusion matrix,
        and the class weights and collapse verdicts (`diagnose`)."""
        from models.tasks.scores import macro_scores, majority_baseline
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        y_true, y_pred = [], []
        for images, labels in dataset:
            y_pred.append(np.argmax(model(images, training=False), axis=-1))
            y_true.append(np.argmax(labels, axis=-1))
        y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        metrics.update(macro_scores(y_true, y_pred))
        metrics.update(majority_baseline(train.labels, y_true, float(np.mean(y_true == y_pred))))
        figures = {"confusion_matrix.png": plots.confusion_matrix(y_true, y_pred, self.class_names)}
        return Evaluation(metrics, figures).update(self.diagnose(y_true, y_pred, train.labels))

    def data_figures(self, datasets, examples) -> dict:
        """A grid of augmented training images as the model sees them."""
        return {"augmented_samples.png": self.sample_figure(datasets.train, examples.class_names)}

    def sample_figure(self, dataset, class_names: list[str], count: int = 32):
        """A grid of augmented training images as the model sees them, titled with their labels."""
        from models import plots

        images, labels = next(iter(dataset))
        images, labels = np.asarray(images)[:count], np.asarray(labels)[:count]
        titles = []
        for row in labels:
            top = int(np.argmax(row))
            mixed = "" if row[top] > 0.99 else f" {row[top]:.2f}"
            titles.append(f"{class_names[top]}{mixed}")
        return plots.image_grid(images, titles, title="Augmented training samples")

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track and the `serving_default` / `predict_tensor` endpoints for ExportArchive."""
        import tensorflow as tf

        from data.images import decode_image

        names, image_shape = tf.constant(self.class_names), self.input_shape
        preprocess = datasets.preprocess

        def outputs(probabilities):
            class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return {"probabilities": probabilities, "class_ids": class_ids,
                    "class_names": tf.gather(names, class_ids)}

        def serve_bytes(image_bytes):
            images = tf.map_fn(lambda b: decode_image(b, image_shape), image_bytes,
                               fn_output_signature=tf.TensorSpec(image_shape, tf.float32))
            return outputs(model(preprocess(images), training=False))

        def serve_tensor(images):
            return outputs(model(images, training=False))

        endpoints = {
            "serving_default": (serve_bytes, [tf.TensorSpec([None], tf.string, name=self.input_name)]),
            "predict_tensor": (serve_tensor, [tf.TensorSpec([None, *datasets.model_input_shape],
                                                             tf.float32, name="images")]),
        }
        return [model, *datasets.preprocessing_layers], endpoints

    def reference(self, model, datasets, requests) -> np.ndarray:
        """What the in-memory Keras model says for the same bytes the export gets."""
        import tensorflow as tf

        from data.images import decode_image

        images = tf.stack([decode_image(r[self.input_name][0], self.input_shape) for r in requests])
        return np.asarray(model(datasets.preprocess(images), training=False))
