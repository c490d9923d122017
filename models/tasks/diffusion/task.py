"""`diffusion`: a denoising diffusion model that generates images from seeds, class-conditional as an option.

Owns the model (`models.tasks.diffusion.model`: the spec's U-Net backbone
reads the noisy image with its noise level (and class) and predicts the
noise; DDPM-style training on every noise level with a moving average of the
weights; deterministic DDIM sampling in `sampling_steps` steps, with
classifier-free guidance (`guidance`) when `conditional`). Measurement and
export are the generators' (`models.tasks.generator`): val_fid, val_kid and
conditional accuracy every `fidelity_every` epochs, a grid of the same seeds
after every epoch, realism on the test split next to the real images' floor,
and `generate(seed[, class_id])` -> `pixels`, `png_bytes` (the DDIM loop runs
inside the SavedModel; the same seed gives the same image).

Example (YAML):
    task: diffusion
    model:
      backbone: {source: builtin, name: unet, config: {filters: [32, 64], use_batch_norm: false}}
      head: {conditional: true, sampling_steps: 20, guidance: 2.0}
"""

from __future__ import annotations

from pydantic import Field

from models.fidelity import MeasuresRealismEvery
from models.tasks.generator import GeneratorTask
from pipelines.options import Fraction, PositiveFloat, PositiveInt
from pipelines.registry import tasks


class DiffusionHead(MeasuresRealismEvery):
    """diffusion: sampling, conditioning and the weights' moving average."""

    sampling_steps: PositiveInt = Field(20, le=1000, description="DDIM steps from noise to image (plots, "
                                                                 "measurements and the export).")
    conditional: bool = Field(False, description="Class-conditional: generate images of a given class.")
    guidance: PositiveFloat = Field(2.0, le=20.0, description="Classifier-free guidance scale when conditional "
                                                              "(1: the conditional prediction alone).")
    unconditional_share: Fraction = Field(0.1, description="Conditional training: the share of images shown "
                                                           "without their class (what guidance needs).")
    ema: Fraction = Field(0.99, description="Decay of the moving average of the weights that samples.")


@tasks.register("diffusion", DiffusionHead)
class Diffusion(GeneratorTask):
    """Generate images from seeds (and classes) by denoising diffusion (seed-in, pixels and PNG out export)."""

    backends = ("tensorflow",)
    backend_notes = {"jax": "its train_step is written with TensorFlow's GradientTape"}
    collapse_advice = "more epochs, a lower training.optimizer.learning_rate, or a lower model.head.guidance"

    def backbone_input_shape(self, input_shape):
        """The U-Net reads the image, its noise level's embedding (and the class's), stacked as channels."""
        from models.tasks.diffusion.model import EMBEDDING

        height, width, channels = input_shape
        return (height, width, channels + EMBEDDING * (2 if self.classes else 1))

    def build_model(self, backbone, input_shape):
        """The noise-predicting network on the backbone, its moving-average copy, and their training."""
        import keras

        from models.tasks.diffusion.model import Diffusion, build_network

        self.image_shape = tuple(input_shape)  # what sampling starts from: noise of the model's image shape
        network = build_network(backbone, input_shape, num_classes=self.classes)
        average = keras.models.clone_model(network)
        average.name = "ema_network"
        head = self.head
        return Diffusion(network, average, num_classes=self.classes, unconditional_share=head.unconditional_share,
                         ema=head.ema, seed=self.spec.seed, name=self.spec.name.replace("-", "_"))

    def sampler(self, model):
        """The moving average of the network's weights."""
        return model.ema_network

    def sample(self, sampler, seeds, class_ids=None):
        """DDIM sampling from the noise of `seeds` (with guidance toward `class_ids`)."""
        import tensorflow as tf

        from models.seeded import seeded_codes
        from models.tasks.diffusion.model import ddim_sample

        shape = self.image_shape
        noise = tf.reshape(seeded_codes(seeds, int(shape[0] * shape[1] * shape[2])), (-1, *shape))
        classes = None if not self.classes else tf.cast(class_ids, tf.int32)
        return ddim_sample(sampler, noise, self.head.sampling_steps, classes, null_class=self.classes,
                           guidance=self.head.guidance)

    def logged_model(self, model, sample):
        """MLflow logs the averaged noise-predicting network."""
        import numpy as np

        images = np.asarray(sample, "float32")
        inputs = {"noisy_images": images, "noise_variances": np.full((len(images), 1, 1, 1), 0.5, "float32")}
        if self.classes:
            inputs["class_id"] = np.zeros(len(images), "int32")
        return model.ema_network, inputs
