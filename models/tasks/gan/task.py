"""`gan`: a DCGAN or a class-conditional GAN that generates images from seeds.

Owns the models (`models.tasks.gan.model`: the shared upsampling decoder as
generator, the spec's image backbone as discriminator, a projection
discriminator when conditional), their alternating training with the known
stabilisers as options (one-sided label smoothing, the R1 gradient penalty,
TTUR learning rates), the measurements and the export:

- after every `fidelity_every` epochs, `val_fid` and `val_kid` of as many
  samples as validation images, in the features of a classifier trained on the
  real training images (`models.tasks.realism`), and for a conditional GAN
  `val_conditional_accuracy` (the share of samples that classifier assigns to
  the class asked for); `fid` is the task's metric (lower is better, so early
  stopping can watch `val_fid`); a grid of the same seeds after every epoch
  under `samples/`;
- on the test split: FID and KID next to the real training images' own (the
  floor a perfect generator reaches), conditional accuracy next to the
  classifier's accuracy on real test images, and the samples' diversity
  against the real images'; a generator whose samples collapse (diversity
  under a tenth of the real images') is tagged `kpipe.collapse: mode_collapse`
  with a verdict, and one whose discriminator wins outright (test `g_loss`
  over 10) `kpipe.collapse: divergence`;
- `serving_default` (= `generate`)`(seed: int64 [batch][, class_id: int64
  [batch]])` -> `pixels` (uint8) and `png_bytes`, one image per seed (the same
  seed, and class, give the same image: the parity check); a conditional GAN
  also has `generate_by_name(seed, class_name)`.

Training is the GAN's own `train_step`, written for TensorFlow.

Example (YAML):
    task: gan
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64], blocks_per_stage: 1}}
      head: {noise: 32, conditional: true, label_smoothing: 0.1}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation, Task
from pipelines.options import Fraction, Options, PositiveFloat, PositiveInt
from pipelines.registry import tasks

SAMPLE_SEEDS = 32
"""The sample grids show the images of seeds 0 .. SAMPLE_SEEDS - 1 (classes in turn when conditional)."""

COLLAPSE_DIVERSITY = 0.1
"""Samples less diverse than this share of the real images' diversity are a mode collapse."""

DIVERGED_G_LOSS = 10.0
"""A test generator loss above this: the discriminator wins outright, the generator no longer learns."""


class GanHead(Options):
    """gan: the generator, conditioning and the stabilisers."""

    noise: PositiveInt = Field(64, le=1024, description="Size of the generator's noise input.")
    generator_filters: list[PositiveInt] = Field(
        default_factory=lambda: [128, 64], min_length=1,
        description="Filters of the generator's transposed convolutions, each doubling the resolution.")
    conditional: bool = Field(False, description="Class-conditional: generate images of a given class.")
    label_smoothing: Fraction = Field(0.1, description="One-sided label smoothing: real images' target is 1 - this.")
    gradient_penalty: float = Field(0.0, ge=0.0, description="Weight of the R1 gradient penalty on real images "
                                                             "(0: none; 1-10 steadies the discriminator).")
    generator_learning_rate_factor: PositiveFloat = Field(
        1.0, description="TTUR: the generator's learning rate is this times training.optimizer's.")
    fidelity_every: PositiveInt = Field(1, description="Epochs between the val_fid / val_kid measurements.")


@tasks.register("gan", GanHead)
class Gan(Task):
    """Generate images from seeds (and classes) with a GAN (seed-in, pixels and PNG out export)."""

    input_name = "seed"
    metric = "fid"
    direction = "min"
    stratify = True
    backends = ("tensorflow",)
    backend_notes = {"jax": "its alternating train_step is written with TensorFlow's GradientTape"}

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.class_names: list[str] = []
        self.realism = None
        self.tests: dict[str, float] = {}

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images (with classes, when conditional)."""
        if len(examples.input_shape) != 3:
            raise ValueError(f"task gan needs images (height, width, channels); data.source gives rows of shape "
                             f"{examples.input_shape}")
        if self.head.conditional and examples.num_classes < 2:
            raise ValueError(f"model.head.conditional: a conditional GAN needs at least 2 classes, got "
                             f"{examples.class_names}")

    def prepare(self, examples, train) -> None:
        """The image shape and the class names."""
        self.input_shape = examples.input_shape
        self.class_names = list(examples.class_names)

    def targets(self):
        """Images and their class ids (the conditional GAN's condition; unused otherwise)."""
        return lambda images, labels: (images, labels)

    def data_figures(self, datasets, examples) -> dict:
        """Training images as the model sees them; refuses pixels outside [0, 1] (the generator ends in a sigmoid)."""
        from models import plots
        from models.tasks.realism import require_unit_pixels

        images = require_unit_pixels(np.asarray(next(iter(datasets.train))[0]), "gan")
        return {"training_images.png": plots.image_grid(images[:SAMPLE_SEEDS], [""] * len(images[:SAMPLE_SEEDS]),
                                                        title="Training images")}

    # Model ------------------------------------------------------------------------------------

    @property
    def classes(self) -> int:
        return len(self.class_names) if self.head.conditional else 0

    def build_model(self, backbone, input_shape):
        """Generator, discriminator (the backbone with a logit), and the GAN that trains them in turns."""
        from models.tasks.gan.model import Gan, build_discriminator, build_generator

        head = self.head
        generator = build_generator(noise=head.noise, image_shape=input_shape, filters=head.generator_filters,
                                    num_classes=self.classes)
        discriminator = build_discriminator(backbone, input_shape, num_classes=self.classes)
        return Gan(generator, discriminator, noise=head.noise, num_classes=self.classes,
                   label_smoothing=head.label_smoothing, gradient_penalty=head.gradient_penalty,
                   generator_rate=head.generator_learning_rate_factor, seed=self.spec.seed,
                   name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """No loss to compile: the GAN's train_step has its own two."""
        return {}

    def monitor(self) -> tuple[str, str]:
        """Early stopping and checkpoints watch val_fid."""
        return "val_fid", "min"

    def generate(self, model, seeds, class_ids=None) -> np.ndarray:
        """uint8 images [n, h, w, c] of the generator for `seeds` (and `class_ids`)."""
        from models.seeded import to_pixels

        return to_pixels(self._images(model, seeds, class_ids)).numpy()

    def _images(self, model, seeds, class_ids=None):
        from models.seeded import seeded_codes

        import tensorflow as tf

        noise = seeded_codes(np.asarray(seeds, "int64"), self.head.noise)
        inputs = [noise, tf.constant(np.asarray(class_ids), tf.int32)] if self.classes else noise
        return model.generator(inputs, training=False)

    def logged_model(self, model, sample):
        """MLflow logs the generator, with a sample of noise (and class ids) for its signature."""
        noise = np.random.default_rng(0).normal(size=(4, self.head.noise)).astype("float32")
        if not self.classes:
            return model.generator, noise
        return model.generator, {"noise": noise, "class_id": np.arange(4, dtype="int32") % self.classes}

    def _sample_classes(self, count: int) -> np.ndarray | None:
        return np.arange(count) % self.classes if self.classes else None

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """The same seeds' images every epoch; every `fidelity_every` epochs val_fid, val_kid (and conditional
        accuracy) against the validation images."""
        from models import plots
        from models.tasks.realism import Realism

        seeds = np.arange(SAMPLE_SEEDS)
        classes = self._sample_classes(SAMPLE_SEEDS)
        titles = [f"seed {s}" + (f" {self.class_names[c]}" if classes is not None else "")
                  for s, c in zip(seeds, classes if classes is not None else seeds)]
        report = Evaluation(figures={f"samples/epoch_{epoch + 1:03d}.png": plots.image_grid(
            self.generate(model, seeds, classes), titles, title=f"Samples after epoch {epoch + 1}")})
        if (epoch + 1) % self.head.fidelity_every or not splits[1].size:
            return report
        if self.realism is None:
            self.realism = Realism(datasets, splits, image_shape=datasets.model_input_shape,
                                   num_classes=len(self.class_names), seed=self.spec.seed)
        report.metrics.update(self._realism(model, 1, "val_"))
        return report

    def _realism(self, model, split: int, prefix: str) -> dict[str, float]:
        count = len(self.realism.real_features(split))
        seeds = np.arange(10_000, 10_000 + count)
        classes = self._sample_classes(count)
        fake = np.asarray(self._images(model, seeds, classes))
        scores = self.realism.scores(fake, split, prefix)
        if classes is not None:
            scores[f"{prefix}conditional_accuracy"] = self.realism.accuracy(fake, classes)
        return scores

    # Evaluation -------------------------------------------------------------------------------

    def calibrate(self, model, datasets, splits) -> None:
        """The test split's realism figures (FID, KID, conditional accuracy, diversity) and their real floors."""
        from models.tasks.realism import Realism, diversity

        held = 2 if splits[2].size else 1
        if self.realism is None:
            self.realism = Realism(datasets, splits, image_shape=datasets.model_input_shape,
                                   num_classes=len(self.class_names), seed=self.spec.seed)
        self.tests = {**self._realism(model, held, "test_"), **self.realism.floor(held, "test_")}
        if self.classes:
            real = self.realism.images[held]
            self.tests["test_real_conditional_accuracy"] = self.realism.accuracy(
                real, np.asarray(splits[held].labels)[:len(real)])
        count = len(self.realism.real_features(held))
        fake = np.asarray(self._images(model, np.arange(10_000, 10_000 + count), self._sample_classes(count)))
        self.tests["test_sample_diversity"] = diversity(self.realism.net.features(fake))
        self.tests["test_real_diversity"] = diversity(self.realism.real_features(held))

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Realism against the test images and its floor, the losses, samples, and collapse or divergence verdicts."""
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        metrics.update(self.tests)
        seeds = np.arange(SAMPLE_SEEDS)
        figures = {"samples.png": plots.image_grid(self.generate(model, seeds, self._sample_classes(SAMPLE_SEEDS)),
                                                   [f"seed {s}" for s in seeds], title="Samples")}
        verdicts = [f"Samples: FID {metrics['test_fid']:.4g} and KID {metrics['test_kid']:.4g} against held-out "
                    f"images; real training images score {metrics['test_fid_real_floor']:.4g} and "
                    f"{metrics['test_kid_real_floor']:.4g} (the floor)."]
        if "test_conditional_accuracy" in metrics:
            verdicts.append(f"Conditional accuracy {metrics['test_conditional_accuracy']:.3f}: the share of samples "
                            f"the real-image classifier assigns to the class asked for (it scores "
                            f"{metrics['test_real_conditional_accuracy']:.3f} on real test images; chance "
                            f"{1 / len(self.class_names):.3f}).")
        evaluation = Evaluation(metrics, figures, verdicts=verdicts)
        ratio = metrics["test_sample_diversity"] / max(metrics["test_real_diversity"], 1e-12)
        if ratio < COLLAPSE_DIVERSITY:
            evaluation.verdicts.append(
                f"MODE COLLAPSE: the samples' diversity is {ratio:.3f} of the real images' (under "
                f"{COLLAPSE_DIVERSITY}): the generator answers nearly the same image for every seed. Try "
                f"model.head.gradient_penalty: 1, a lower training.optimizer.learning_rate, or "
                f"model.head.label_smoothing: 0.1.")
            evaluation.tags["collapse"] = "mode_collapse"
        elif metrics.get("test_g_loss", 0.0) > DIVERGED_G_LOSS:
            evaluation.verdicts.append(
                f"DIVERGENCE: the test generator loss is {metrics['test_g_loss']:.3g} (over {DIVERGED_G_LOSS}): the "
                f"discriminator wins outright and the generator no longer learns. Try "
                f"model.head.gradient_penalty: 1 or model.head.generator_learning_rate_factor: 2.")
            evaluation.tags["collapse"] = "divergence"
        return evaluation

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default`/`generate(seed[, class_id])` -> `pixels`, `png_bytes` (`generate_by_name` by class name)."""
        import tensorflow as tf

        from models.seeded import seeded_codes, to_pixels

        generator, noise, conditional = model.generator, self.head.noise, bool(self.classes)
        names = tf.constant(self.class_names or [""])

        def answer(seed, class_id=None):
            codes = seeded_codes(seed, noise)
            images = generator([codes, tf.cast(class_id, tf.int32)] if conditional else codes, training=False)
            pixels = to_pixels(images)
            return {"pixels": pixels, "png_bytes": tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)}

        seeds = tf.TensorSpec([None], tf.int64, name=self.input_name)
        if not conditional:
            return [model.generator], {"serving_default": (answer, [seeds]), "generate": (answer, [seeds])}
        count = len(self.class_names)

        def by_id(seed, class_id):
            check = tf.debugging.assert_less(class_id, tf.constant(count, tf.int64),
                                             message=f"class_id must be in [0, {count})")
            with tf.control_dependencies([check, tf.debugging.assert_non_negative(class_id)]):
                return answer(seed, tf.identity(class_id))

        def by_name(seed, class_name):
            matches = tf.cast(tf.equal(class_name[:, None], names[None]), tf.int64)
            known = tf.debugging.assert_equal(tf.reduce_sum(matches, axis=1), tf.ones_like(class_name, tf.int64),
                                              message=f"class_name must be one of {self.class_names}")
            with tf.control_dependencies([known]):
                return answer(seed, tf.argmax(matches, axis=1))

        ids = tf.TensorSpec([None], tf.int64, name="class_id")
        endpoints = {"serving_default": (by_id, [seeds, ids]), "generate": (by_id, [seeds, ids]),
                     "generate_by_name": (by_name, [seeds, tf.TensorSpec([None], tf.string, name="class_name")])}
        return [model.generator], endpoints

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per index: its number as the seed (and a class in turn when conditional)."""
        requests = [{self.input_name: np.array([i], "int64")} for i in indices]
        if self.classes:
            for request, i in zip(requests, indices):
                request["class_id"] = np.array([i % self.classes], "int64")
        return requests

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --seed N --output FOLDER` (and `--class-id C` when conditional)."""
        arguments = ["--seed", str(int(request[self.input_name][0])), "--output", str(folder)]
        if "class_id" in request:
            arguments += ["--class-id", str(int(request["class_id"][0]))]
        return arguments

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras generator's pixels for the same seeds (and classes)."""
        seeds = np.concatenate([r[self.input_name] for r in requests])
        classes = np.concatenate([r["class_id"] for r in requests]) if self.classes else None
        return self.generate(model, seeds, classes)

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest pixel difference between the export's images and the Keras generator's, in levels and in [0, 1]."""
        levels = np.abs(np.asarray(served["pixels"], "int64") - reference.astype("int64"))
        return {"export_parity_max_abs_diff": float(levels.max()) / 255.0,
                "export_parity_max_level_diff": float(levels.max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """The same seed gives the same image: every pixel within one level (a rounding step)."""
        return parity["export_parity_max_level_diff"] <= 1.0
