"""`GeneratorTask`: what the seed-to-image tasks share (GAN, diffusion): classes, measurement and the export.

A generator task builds a model that turns a seed's noise (and, conditional,
a class id) into images in [0, 1]; it says how in two methods:

- `sampler(model)`: the part of the trained model that generates (a GAN's
  generator, a diffusion model's averaged network), which the export tracks;
- `sample(sampler, seeds, class_ids)`: its images in [0, 1] for int seeds, as
  TensorFlow ops, so that the same code runs in the plots, in the
  measurements and inside the export.

This base class does the rest:

- every epoch, a grid of the same 32 seeds (`samples/epoch_NNN.png`) and,
  every `model.head.fidelity_every` epochs and after the last, `val_fid`, `val_kid` (and
  `val_conditional_accuracy`) against the validation images in the features
  of a classifier of the real training images (`models.tasks.realism`); `fid`
  is the task's metric;
- on the test split: FID and KID next to the real images' floor, conditional
  accuracy next to the classifier's own on real test images, the samples'
  diversity next to the real images' and a mode-collapse verdict and tag
  when it falls under a tenth;
- the export: `serving_default` (= `generate`)`(seed: int64 [batch][,
  class_id: int64 [batch]])` -> `pixels` (uint8) and `png_bytes`, and for
  conditional models `generate_by_name(seed, class_name)`; an unknown class is
  an InvalidArgument error. The same seed (and class) gives the same image:
  the parity check compares the export's pixels with the Keras model's.

Example:
    >>> class Noise(GeneratorTask):   # a subclass registers with its head options
    ...     pass
    >>> Noise.metric, Noise.input_name
    ('fid', 'seed')
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation, Task

SAMPLE_SEEDS = 32
"""The sample grids show the images of seeds 0 .. SAMPLE_SEEDS - 1 (classes in turn when conditional)."""

MEASURED_SEEDS = 10_000
"""Measurements draw seeds from here on, apart from the grids'."""

COLLAPSE_DIVERSITY = 0.1
"""Samples less diverse than this share of the real images' diversity are a mode collapse."""


class GeneratorTask(Task):
    """Seed-in, pixels-out tasks: their classes, plots, realism figures and export."""

    input_name = "seed"
    metric = "fid"
    direction = "min"
    stratify = True
    collapse_advice = "a lower training.optimizer.learning_rate"

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.class_names: list[str] = []
        self.realism = None
        self.tests: dict[str, float] = {}

    # Subclasses ---------------------------------------------------------------------------------

    def sampler(self, model):
        """The part of the trained model that generates; the export tracks it."""
        raise NotImplementedError

    def sample(self, sampler, seeds, class_ids=None):
        """TensorFlow images in [0, 1] of `sampler` for int seeds (and class ids)."""
        raise NotImplementedError

    # Data ---------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images (with classes, when conditional)."""
        if len(examples.input_shape) != 3:
            raise ValueError(f"task {self.spec.task} needs images (height, width, channels); data.source gives "
                             f"rows of shape {examples.input_shape}")
        if self.head.conditional and examples.num_classes < 2:
            raise ValueError(f"model.head.conditional: a conditional {self.spec.task} needs at least 2 classes, "
                             f"got {examples.class_names}")

    def prepare(self, examples, train) -> None:
        """The image shape and the class names."""
        self.input_shape = examples.input_shape
        self.class_names = list(examples.class_names)

    def targets(self):
        """Images and their class ids (the condition of a conditional model; unused otherwise)."""
        return lambda images, labels: (images, labels)

    def data_figures(self, datasets, examples) -> dict:
        """Training images as the model sees them; refuses pixels outside [0, 1] (generators make [0, 1])."""
        from models import plots
        from models.tasks.realism import require_unit_pixels

        images = require_unit_pixels(np.asarray(next(iter(datasets.train))[0]), self.spec.task)
        return {"training_images.png": plots.image_grid(images[:SAMPLE_SEEDS], [""] * len(images[:SAMPLE_SEEDS]),
                                                        title="Training images")}

    @property
    def classes(self) -> int:
        """The number of classes a conditional model takes; 0 when unconditional."""
        return len(self.class_names) if self.head.conditional else 0

    def compile_options(self) -> dict:
        """No loss to compile: the model's own train_step computes it."""
        return {}

    def monitor(self) -> tuple[str, str]:
        """Early stopping and checkpoints watch val_fid."""
        return "val_fid", "min"

    # Measurements -------------------------------------------------------------------------------

    def generate(self, model, seeds, class_ids=None) -> np.ndarray:
        """uint8 images [n, h, w, c] for `seeds` (and `class_ids`)."""
        from models.seeded import to_pixels

        return to_pixels(self.sample(self.sampler(model), np.asarray(seeds, "int64"), class_ids)).numpy()

    def sample_classes(self, count: int) -> np.ndarray | None:
        """The classes of `count` samples in turn, or None when unconditional."""
        return np.arange(count) % self.classes if self.classes else None

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """The same seeds' images every epoch; every `fidelity_every` epochs (and after the last) the realism
        figures on validation."""
        from models import plots

        seeds, classes = np.arange(SAMPLE_SEEDS), self.sample_classes(SAMPLE_SEEDS)
        titles = [f"seed {s}" + (f" {self.class_names[c]}" if classes is not None else "")
                  for s, c in zip(seeds, classes if classes is not None else seeds)]
        report = Evaluation(figures={f"samples/epoch_{epoch + 1:03d}.png": plots.image_grid(
            self.generate(model, seeds, classes), titles, title=f"Samples after epoch {epoch + 1}")})
        last = epoch + 1 == self.spec.training.epochs
        if ((epoch + 1) % self.head.fidelity_every and not last) or not splits[1].size:
            return report
        report.metrics.update(self._realism(model, datasets, splits, 1, "val_"))
        return report

    def _realism(self, model, datasets, splits, split: int, prefix: str) -> dict[str, float]:
        from models.tasks.realism import Realism

        if self.realism is None:
            self.realism = Realism(datasets, splits, image_shape=datasets.model_input_shape,
                                   num_classes=len(self.class_names), seed=self.spec.seed,
                                   features=self.head.realism_features)
        count = len(self.realism.real_features(split))
        classes = self.sample_classes(count)
        fake = np.asarray(self.sample(self.sampler(model), np.arange(MEASURED_SEEDS, MEASURED_SEEDS + count),
                                      classes))
        scores = self.realism.scores(fake, split, prefix)
        if classes is not None:
            scores[f"{prefix}conditional_accuracy"] = self.realism.accuracy(fake, classes)
        return scores

    def calibrate(self, model, datasets, splits) -> None:
        """The test split's realism figures (FID, KID, conditional accuracy, diversity) and their real floors."""
        from models.tasks.realism import diversity

        held = 2 if splits[2].size else 1
        self.tests = {**self._realism(model, datasets, splits, held, "test_"), **self.realism.floor(held, "test_")}
        real = self.realism.images[held]
        if self.classes:
            self.tests["test_real_conditional_accuracy"] = self.realism.accuracy(
                real, np.asarray(splits[held].labels)[:len(real)])
        fake = np.asarray(self.sample(self.sampler(model), np.arange(MEASURED_SEEDS, MEASURED_SEEDS + len(real)),
                                      self.sample_classes(len(real))))
        self.tests["test_sample_diversity"] = diversity(self.realism.net.features(fake))
        self.tests["test_real_diversity"] = diversity(self.realism.real_features(held))

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The model's own test losses, the realism figures (`calibrate`), the sample grid, their verdicts, and
        the mode-collapse verdict and tag."""
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {**{f"test_{k}": float(v) for k, v in scores.items()}, **self.tests}
        seeds = np.arange(SAMPLE_SEEDS)
        figures = {"samples.png": plots.image_grid(self.generate(model, seeds, self.sample_classes(SAMPLE_SEEDS)),
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
                f"{COLLAPSE_DIVERSITY}): the model answers nearly the same image for every seed. Try "
                f"{self.collapse_advice}.")
            evaluation.tags["collapse"] = "mode_collapse"
        return evaluation

    # Export ---------------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default`/`generate(seed[, class_id])` -> `pixels`, `png_bytes` (`generate_by_name` by class name)."""
        import tensorflow as tf

        from models.seeded import to_pixels

        sampler, conditional = self.sampler(model), bool(self.classes)
        names = tf.constant(self.class_names or [""])

        def answer(seed, class_id=None):
            pixels = to_pixels(self.sample(sampler, seed, class_id))
            return {"pixels": pixels, "png_bytes": tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)}

        seeds = tf.TensorSpec([None], tf.int64, name=self.input_name)
        if not conditional:
            return [sampler], {"serving_default": (answer, [seeds]), "generate": (answer, [seeds])}
        count = len(self.class_names)

        def by_id(seed, class_id):
            checks = [tf.debugging.assert_less(class_id, tf.constant(count, tf.int64),
                                               message=f"class_id must be in [0, {count})"),
                      tf.debugging.assert_non_negative(class_id, message=f"class_id must be in [0, {count})")]
            with tf.control_dependencies(checks):
                return answer(seed, tf.cast(class_id, tf.int32))

        def by_name(seed, class_name):
            matches = tf.cast(tf.equal(class_name[:, None], names[None]), tf.int64)
            known = tf.debugging.assert_equal(tf.reduce_sum(matches, axis=1), tf.ones_like(class_name, tf.int64),
                                              message=f"class_name must be one of {self.class_names}")
            with tf.control_dependencies([known]):
                return answer(seed, tf.cast(tf.argmax(matches, axis=1), tf.int32))

        ids = tf.TensorSpec([None], tf.int64, name="class_id")
        endpoints = {"serving_default": (by_id, [seeds, ids]), "generate": (by_id, [seeds, ids]),
                     "generate_by_name": (by_name, [seeds, tf.TensorSpec([None], tf.string, name="class_name")])}
        return [sampler], endpoints

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
        """The Keras model's pixels for the same seeds (and classes)."""
        seeds = np.concatenate([r[self.input_name] for r in requests])
        classes = np.concatenate([r["class_id"] for r in requests]) if self.classes else None
        return self.generate(model, seeds, classes)

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest pixel difference between the export's images and the Keras model's, in levels and in [0, 1]."""
        levels = np.abs(np.asarray(served["pixels"], "int64") - reference.astype("int64"))
        return {"export_parity_max_abs_diff": float(levels.max()) / 255.0,
                "export_parity_max_level_diff": float(levels.max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """The same seed gives the same image: every pixel within one level (a rounding step)."""
        return parity["export_parity_max_level_diff"] <= 1.0
