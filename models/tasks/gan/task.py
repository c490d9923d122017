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

from models.fidelity import MeasuresRealismEvery
from models.tasks.base import Evaluation
from models.tasks.generator import GeneratorTask
from pipelines.options import Fraction, PositiveFloat, PositiveInt
from pipelines.registry import tasks

DIVERGED_G_LOSS = 10.0
"""A test generator loss above this: the discriminator wins outright, the generator no longer learns."""


class GanHead(MeasuresRealismEvery):
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


@tasks.register("gan", GanHead)
class Gan(GeneratorTask):
    """Generate images from seeds (and classes) with a GAN (seed-in, pixels and PNG out export)."""

    backends = ("tensorflow",)
    backend_notes = {"jax": "its alternating train_step is written with TensorFlow's GradientTape"}
    collapse_advice = ("model.head.gradient_penalty: 1, a lower training.optimizer.learning_rate, or "
                       "model.head.label_smoothing: 0.1")

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

    def sampler(self, model):
        """The generator."""
        return model.generator

    def sample(self, sampler, seeds, class_ids=None):
        """The generator's images for the noise of `seeds` (and `class_ids`)."""
        import tensorflow as tf

        from models.seeded import seeded_codes

        noise = seeded_codes(seeds, self.head.noise)
        if not self.classes:
            return sampler(noise, training=False)
        return sampler([noise, tf.cast(class_ids, tf.int32)], training=False)

    def logged_model(self, model, sample):
        """MLflow logs the generator, with a sample of noise (and class ids) for its signature."""
        noise = np.random.default_rng(0).normal(size=(4, self.head.noise)).astype("float32")
        if not self.classes:
            return model.generator, noise
        return model.generator, {"noise": noise, "class_id": np.arange(4, dtype="int32") % self.classes}

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The generator's realism (`GeneratorTask.evaluate`), and a divergence verdict and tag when the
        discriminator wins outright."""
        evaluation = super().evaluate(model, dataset, train, held_out)
        g_loss = evaluation.metrics.get("test_g_loss", 0.0)
        if g_loss > DIVERGED_G_LOSS and "collapse" not in evaluation.tags:
            evaluation.verdicts.append(
                f"DIVERGENCE: the test generator loss is {g_loss:.3g} (over {DIVERGED_G_LOSS}): the discriminator "
                f"wins outright and the generator no longer learns. Try model.head.gradient_penalty: 1 or "
                f"model.head.generator_learning_rate_factor: 2.")
            evaluation.tags["collapse"] = "divergence"
        return evaluation
