"""`contrastive`: SimCLR-style self-supervised pre-training of an image backbone, measured by a linear probe.

Owns the model (`models.tasks.contrastive.model`: the spec's backbone as
encoder, a projection head, the NT-Xent loss over two augmented views of each
image; the spec's `augment` stages run inside the model, twice per batch,
on the images as the model receives them, so give them `value_range: [0, 1]`
after a rescale stage), and the measurement: a linear probe (logistic
regression on the encoder's features of the training images, labels used
only here) scored on the validation split after every epoch
(`val_linear_probe_accuracy`, the task's metric) and on the test split, next
to the same probe on the raw pixels and on the features of the untrained
encoder.

Export: `serving_default(image_bytes)` returns `embedding` (the encoder's
features, what a later spec takes with `backbone: {from_run: ...}`) and
`projection`. MLflow logs the encoder as the run's model.

Example (YAML):
    task: contrastive
    stages: [{resize: {height: 16, width: 16}}, {rescale: {scale: 0.00392156862745098}},
             {augment: {layers: [{random_translation: 0.15}, {random_zoom: 0.2}], value_range: [0, 1]}}]
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64]}}
      head: {projection_units: [128, 64], temperature: 0.2}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation, Task
from pipelines.options import Options, PositiveFloat, PositiveInt
from pipelines.registry import tasks

PROBE_EXAMPLES = 5000
"""The linear probe fits on at most this many training images."""


class ContrastiveHead(Options):
    """contrastive: the projection head and the loss's temperature."""

    projection_units: list[PositiveInt] = Field(
        default_factory=lambda: [128, 64], min_length=1,
        description="Dense layers of the projection head (the loss is computed on its normalised output).")
    temperature: PositiveFloat = Field(0.2, le=10.0, description="Temperature of the NT-Xent loss.")


@tasks.register("contrastive", ContrastiveHead)
class Contrastive(Task):
    """Self-supervised pre-training (SimCLR) of an image backbone, measured by a linear probe."""

    input_name = "image_bytes"
    metric = "linear_probe_accuracy"
    direction = "max"
    stratify = True
    augments_in_model = True
    backends = ("tensorflow",)
    backend_notes = {"jax": "its two-view train_step is written with TensorFlow's GradientTape"}

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.probe_data: dict = {}
        self.tests: dict[str, float] = {}

    @classmethod
    def check_spec(cls, spec) -> None:
        """Two views need augmentation: at least one `augment` stage."""
        from pipelines.spec import keyed

        super().check_spec(spec)
        if not any(keyed(item)[0] == "augment" for item in spec.stages):
            raise ValueError("stages: task contrastive compares two augmented views of each image; add an augment "
                             "stage (e.g. {augment: {layers: [{random_translation: 0.15}, {random_zoom: 0.2}], "
                             "value_range: [0, 1]}} after a rescale)")

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives labelled images (the labels serve the linear probe only)."""
        if len(examples.input_shape) != 3:
            raise ValueError(f"task contrastive needs images (height, width, channels); data.source gives rows of "
                             f"shape {examples.input_shape}")
        if examples.num_classes < 2:
            raise ValueError("task contrastive measures its features with a linear probe of the classes: the "
                             f"source needs at least 2 classes, got {examples.class_names}")

    def prepare(self, examples, train) -> None:
        """The image shape the export decodes to."""
        self.input_shape = examples.input_shape

    def targets(self):
        """The images (labels ride along for nothing: the loss compares views)."""
        return lambda images, labels: (images, labels)

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Encoder (the backbone, pooled), projection head and the spec's augmentation, inside `SimClr`."""
        from models.tasks.contrastive.model import SimClr, build_encoder, build_projection
        from pipelines import registry
        from pipelines.spec import keyed

        encoder = build_encoder(backbone, input_shape)
        projection = build_projection(encoder.output.shape[-1], self.head.projection_units)
        layers = []
        for index, item in enumerate(self.spec.stages):
            name, options = keyed(item)
            stage = registry.stages.get(name).build(options, seed=self.spec.seed + 100 + index)
            if stage.training_only:
                layers.append(stage.layer)

        def augment(images):
            import tensorflow as tf

            batch = {"images": images, "labels": tf.zeros(tf.shape(images)[:1])}
            for layer in layers:
                batch = layer(batch)
            return batch["images"]

        return SimClr(encoder, projection, augment, temperature=self.head.temperature,
                      name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """No loss to compile: SimCLR's train_step computes NT-Xent."""
        return {}

    def logged_model(self, model, sample):
        """MLflow logs the encoder (its `backbone` layer is what a later spec takes)."""
        return model.encoder, sample

    # Evaluation -------------------------------------------------------------------------------

    def _probe_inputs(self, datasets, splits) -> dict:
        from data.dataset import model_inputs

        if not self.probe_data:
            for index in range(3):
                if splits[index].size:
                    limit = PROBE_EXAMPLES if index == 0 else None
                    self.probe_data[index] = (model_inputs(splits[index], datasets)[:limit],
                                              np.asarray(splits[index].labels)[:limit])
        return self.probe_data

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """`val_linear_probe_accuracy` after every epoch."""
        data = self._probe_inputs(datasets, splits)
        if 1 not in data:
            return Evaluation()
        return Evaluation({"val_linear_probe_accuracy": _probe(model.encoder, data[0], data[1])})

    def calibrate(self, model, datasets, splits) -> None:
        """The test split's linear-probe accuracy, next to the probe on raw pixels and on the untrained encoder."""
        import keras

        data = self._probe_inputs(datasets, splits)
        held = 2 if 2 in data else 1
        self.tests = {"test_linear_probe_accuracy": _probe(model.encoder, data[0], data[held])}
        flat = lambda pair: (pair[0].reshape(len(pair[0]), -1), pair[1])  # noqa: E731
        self.tests["test_pixels_probe_accuracy"] = _probe(None, flat(data[0]), flat(data[held]))
        untrained = keras.models.clone_model(model.encoder)
        self.tests["test_untrained_probe_accuracy"] = _probe(untrained, data[0], data[held])

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The NT-Xent loss and the linear probes on the test split."""
        from models.tasks.verdict import beat_baselines

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        metrics.update(self.tests)
        verdicts = beat_baselines("linear-probe accuracy", metrics["test_linear_probe_accuracy"],
                                  {"raw pixels": metrics["test_pixels_probe_accuracy"],
                                   "untrained encoder": metrics["test_untrained_probe_accuracy"]},
                                  higher_is_better=True)
        return Evaluation(metrics, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default(image_bytes)` -> `embedding`, `projection`."""
        import tensorflow as tf

        from data.images import decode_image

        encoder, projection = model.encoder, model.projection
        image_shape, preprocess = self.input_shape, datasets.preprocess

        def serve(image_bytes):
            images = tf.map_fn(lambda b: decode_image(b, image_shape), image_bytes,
                               fn_output_signature=tf.TensorSpec(image_shape, tf.float32))
            embedding = encoder(preprocess(images), training=False)
            return {"embedding": embedding, "projection": projection(embedding, training=False)}

        signature = [tf.TensorSpec([None], tf.string, name=self.input_name)]
        return [encoder, projection, *datasets.preprocessing_layers], {"serving_default": (serve, signature)}

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras encoder's features for the same bytes the export gets."""
        import tensorflow as tf

        from data.images import decode_image

        images = tf.stack([decode_image(r[self.input_name][0], self.input_shape) for r in requests])
        return np.asarray(model.encoder(datasets.preprocess(images), training=False))

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute difference between the export's embeddings and the Keras encoder's."""
        return {"export_parity_max_abs_diff": float(np.abs(np.asarray(served["embedding"]) - reference).max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Embeddings within `tolerance`, relative to their scale (at least 1)."""
        return parity["export_parity_max_abs_diff"] <= tolerance * 10


def _probe(encoder, train, held) -> float:
    """Accuracy on `held` (images, labels) of a logistic regression fitted on `train`'s features (or the inputs
    themselves when `encoder` is None), standardised first."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def features(images):
        return images if encoder is None else np.asarray(encoder.predict(images, batch_size=256, verbose=0))

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(features(train[0]), train[1])
    return float(probe.score(features(held[0]), held[1]))
