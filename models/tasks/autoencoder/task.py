"""`autoencoder`: reconstruct images, and flag anomalies by their reconstruction error.

Owns the model (`models.tasks.autoencoder.model`: the spec's image backbone as
encoder, a dense bottleneck, a transposed-convolution decoder; Gaussian input
noise for a denoising autoencoder), the loss (mean squared error against the
input as the preprocessing stages leave it; augmentation perturbs the input
only, like the noise), the anomaly threshold and the export.

Anomalies: with `model.head.normal_classes`, training keeps only those
classes, and the other classes are the anomalies of the validation and test
splits. After training, the threshold is the one of best F1 on the
validation split; without labelled anomalies it is `percentile` of the
validation scores. Held out: the mean reconstruction error, and with
anomalies AUROC, AUPRC, precision, recall and F1 at the threshold, next to
the same scores of a PCA of as many components as the bottleneck, fitted on
the validation split's normal images (`test_auroc_over_pca`). Plots:
reconstructions of normal and anomalous test images, and the scores of both
kinds with the threshold.

Export: `serving_default(image_bytes: tf.string [batch])` returns `score`
(mean squared reconstruction error), `is_anomaly` (score >= the threshold)
and `reconstruction` (float32 [batch, h, w, c], as the model sees images).

Example (YAML):
    task: autoencoder
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64]}}
      head: {latent: 32, normal_classes: ["0", "1", "2"], noise: 0.1}
"""

from __future__ import annotations

import sys

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation, Task
from pipelines.options import Options, PositiveInt
from pipelines.registry import tasks

SHOWN = 8
"""Reconstruction plots show this many normal and this many anomalous test images."""


class AutoencoderHead(Options):
    """autoencoder: the bottleneck, the decoder and what counts as normal."""

    latent: PositiveInt = Field(32, le=4096, description="Units of the bottleneck (the code of an image).")
    decoder_filters: list[PositiveInt] = Field(
        default_factory=lambda: [64, 32], min_length=1,
        description="Filters of the decoder's transposed convolutions, each doubling the resolution.")
    noise: float = Field(0.0, ge=0.0, description="Standard deviation of Gaussian noise added to training inputs "
                                                  "(a denoising autoencoder); 0: none.")
    normal_classes: list[str] | None = Field(
        None, min_length=1,
        description="The classes that are normal: training keeps only them, and the other classes are the "
                    "anomalies of validation and test; absent: every example is normal.")
    percentile: float = Field(99.0, gt=0.0, lt=100.0,
                              description="Without labelled anomalies, the threshold is this percentile of the "
                                          "validation split's scores.")


@tasks.register("autoencoder", AutoencoderHead)
class Autoencoder(Task):
    """Reconstruct images; score anomalies by reconstruction error (bytes-in export: score, flag, reconstruction)."""

    input_name = "image_bytes"
    stratify = True

    def __init__(self, spec):
        super().__init__(spec)
        self.normal: list[int] = []
        self.input_shape = None
        self.threshold = None
        self.threshold_reason = ""
        self.validation_normals = None

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images, and `normal_classes` names classes it has (and not all)."""
        if len(examples.input_shape) != 3:
            raise ValueError(f"task autoencoder needs images (height, width, channels); data.source gives rows of "
                             f"shape {examples.input_shape}")
        names = list(examples.class_names)
        chosen = self.head.normal_classes
        if chosen is None:
            self.normal = list(range(len(names)))
            return
        unknown = [name for name in chosen if name not in names]
        if unknown:
            raise ValueError(f"model.head.normal_classes: {unknown} are not classes of data.source; it has "
                             f"{names}")
        if len(set(chosen)) == len(names):
            raise ValueError("model.head.normal_classes names every class: no anomalies are left to score; "
                             "leave it out to treat all examples as normal")
        self.normal = sorted(names.index(name) for name in chosen)

    def split(self, examples, seed: int) -> tuple:
        """The usual split (stratified), then the training split keeps only normal examples."""
        train, validation, test = super().split(examples, seed)
        kept = np.flatnonzero(self.anomalous(train.labels) == 0)
        print(f"Autoencoder: training on {len(kept)} normal images of {train.size}", file=sys.stderr)
        return train.subset(kept), validation, test

    def prepare(self, examples, train) -> None:
        """The image shape the export decodes to."""
        self.input_shape = examples.input_shape

    def anomalous(self, labels) -> np.ndarray:
        """1 for examples of a class outside `normal_classes`, else 0."""
        return (~np.isin(np.asarray(labels), self.normal)).astype(int)

    def targets(self):
        """The target is the input itself."""
        return lambda images, labels: (images, images)

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Encoder (the backbone), bottleneck and decoder (`models.tasks.autoencoder.model`)."""
        from models.tasks.autoencoder.model import build_autoencoder

        head = self.head
        return build_autoencoder(backbone, input_shape, latent=head.latent, decoder_filters=head.decoder_filters,
                                 noise=head.noise, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """Mean squared reconstruction error."""
        return {"loss": "mse"}

    def calibrate(self, model, datasets, splits) -> None:
        """The threshold from the validation split's scores (best F1 with labelled anomalies, else a percentile)."""
        from models.tasks.autoencoder.model import reconstruction_errors
        from models.tasks.autoencoder.scores import choose_threshold

        if datasets.validation is None:
            raise ValueError("task autoencoder chooses its anomaly threshold on the validation split: set "
                             "data.split.validation above 0")
        images = np.concatenate([np.asarray(x) for x, _ in datasets.validation])
        scores, _ = reconstruction_errors(model, images)
        anomalous = self.anomalous(splits[1].labels) if self.head.normal_classes else None
        self.threshold, self.threshold_reason = choose_threshold(scores, anomalous, self.head.percentile)
        self.validation_normals = images if anomalous is None else images[anomalous == 0]
        print(f"Anomaly threshold {self.threshold:.4g}: {self.threshold_reason}", file=sys.stderr)

    # Evaluation -------------------------------------------------------------------------------

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Reconstruction error; with anomalies AUROC, AUPRC and F1 at the threshold, next to PCA's."""
        from models.tasks.autoencoder import plots
        from models.tasks.autoencoder.model import reconstruction_errors
        from models.tasks.autoencoder.scores import detection_metrics, pca_scores
        from models.tasks.verdict import beat_baselines

        images = np.concatenate([np.asarray(x) for x, _ in dataset])
        scores, reconstructions = reconstruction_errors(model, images)
        anomalous = self.anomalous(held_out.labels)
        metrics = {"test_loss": float(np.mean(scores)), "test_threshold": self.threshold,
                   "test_reconstruction_error": float(np.mean(scores[anomalous == 0]))}
        metrics["test_flagged_share"] = float(np.mean(scores >= self.threshold))
        verdicts = [f"Anomaly threshold {self.threshold:.4g}: {self.threshold_reason}."]
        shown = np.concatenate([np.flatnonzero(anomalous == 0)[:SHOWN], np.flatnonzero(anomalous == 1)[:SHOWN]])
        figures = {"reconstructions.png": plots.reconstruction_grid(
            images[shown], reconstructions[shown], scores[shown], anomalous[shown], self.threshold)}
        if 0 < anomalous.sum() < len(anomalous):
            metrics.update(detection_metrics(scores, anomalous, self.threshold))
            baseline = pca_scores(self.validation_normals, images, self.head.latent)
            metrics.update({f"{k.replace('test_', 'test_pca_baseline_')}": v
                            for k, v in detection_metrics(baseline, anomalous, np.inf).items()
                            if k in ("test_auroc", "test_auprc")})
            metrics["test_auroc_over_pca"] = metrics["test_auroc"] - metrics["test_pca_baseline_auroc"]
            figures["scores.png"] = plots.score_histogram(scores, anomalous, self.threshold)
            verdicts += beat_baselines("AUROC", metrics["test_auroc"], {"PCA": metrics["test_pca_baseline_auroc"]},
                                       higher_is_better=True)
        return Evaluation(metrics, figures, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default(image_bytes)` -> `score`, `is_anomaly`, `reconstruction`."""
        import tensorflow as tf

        from data.images import decode_image

        image_shape, preprocess, threshold = self.input_shape, datasets.preprocess, float(self.threshold)

        def serve(image_bytes):
            images = tf.map_fn(lambda b: decode_image(b, image_shape), image_bytes,
                               fn_output_signature=tf.TensorSpec(image_shape, tf.float32))
            images = preprocess(images)
            reconstruction = model(images, training=False)
            score = tf.reduce_mean(tf.square(reconstruction - images), axis=[1, 2, 3])
            return {"score": score, "is_anomaly": score >= threshold, "reconstruction": reconstruction}

        signature = [tf.TensorSpec([None], tf.string, name=self.input_name)]
        return [model, *datasets.preprocessing_layers], {"serving_default": (serve, signature)}

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras model's scores for the same bytes the export gets."""
        import tensorflow as tf

        from data.images import decode_image
        from models.tasks.autoencoder.model import reconstruction_errors

        images = tf.stack([decode_image(r[self.input_name][0], self.input_shape) for r in requests])
        return reconstruction_errors(model, np.asarray(datasets.preprocess(images)))[0]

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute and relative difference between the export's scores and the Keras model's."""
        difference = np.abs(np.asarray(served["score"], "float64") - reference)
        return {"export_parity_max_abs_diff": float(difference.max()),
                "export_parity_max_rel_diff": float((difference / np.maximum(np.abs(reference), 1e-6)).max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Every score within `tolerance`, relative to its size."""
        return parity["export_parity_max_rel_diff"] <= tolerance
