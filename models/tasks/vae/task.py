"""`vae`: a variational autoencoder; encodes images to a Gaussian code and generates new images from seeds.

Owns the model (`models.tasks.vae.model`: the spec's image backbone as the
encoder of a mean and log-variance, a sampled code, a transposed-convolution
decoder to pixels in [0, 1]), the loss (the negative ELBO: binary
cross-entropy summed over the pixels, logged as `reconstruction_loss`, plus
`beta` times the KL divergence, logged as `kl_loss`), the plots (a grid of
samples from the same seeds after every epoch, under `samples/`, so they can
be compared by eye; test reconstructions; the test codes in 2-D, by class)
and the export:

- `serving_default` (= `generate`)`(seed: int64 [batch])` -> `pixels` (uint8
  [batch, h, w, c]) and `png_bytes`: one image per seed, from a standard-normal
  code drawn with that seed, so the same seed gives the same image (the
  parity check compares them with the Keras decoder's);
- `encode(image_bytes: tf.string [batch])` -> `mean`, `log_variance`.

The training images must be in [0, 1] as the model sees them (a `rescale`
stage of 1/255 for 8-bit images): the decoder ends in a sigmoid.

Example (YAML):
    task: vae
    stages: [{resize: {height: 16, width: 16}}, {rescale: {scale: 0.00392156862745098}}]
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64]}}
      head: {latent: 8, beta: 1.0}
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.fidelity import MeasuresRealism
from models.tasks.base import Evaluation, Task
from pipelines.options import PositiveFloat, PositiveInt
from pipelines.registry import tasks

SAMPLE_SEEDS = 32
"""The sample grids show the images of seeds 0 .. SAMPLE_SEEDS - 1."""


class VaeHead(MeasuresRealism):
    """vae: the code and the decoder."""

    latent: PositiveInt = Field(16, le=1024, description="Size of the Gaussian code.")
    decoder_filters: list[PositiveInt] = Field(
        default_factory=lambda: [64, 32], min_length=1,
        description="Filters of the decoder's transposed convolutions, each doubling the resolution.")
    beta: PositiveFloat = Field(1.0, description="Weight of the KL term (beta-VAE; 1: the plain ELBO).")


@tasks.register("vae", VaeHead)
class Vae(Task):
    """Encode images to a Gaussian code and generate images from seeds (seed-in, pixels and PNG out export)."""

    input_name = "seed"

    def __init__(self, spec):
        super().__init__(spec)
        self.input_shape = None
        self.class_names: list[str] = []
        self.realism: dict[str, float] = {}

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives images."""
        if len(examples.input_shape) != 3:
            raise ValueError(f"task vae needs images (height, width, channels); data.source gives rows of shape "
                             f"{examples.input_shape}")

    def prepare(self, examples, train) -> None:
        """The image shape and class names (the code plot's colours)."""
        self.input_shape = examples.input_shape
        self.class_names = list(examples.class_names)

    def targets(self):
        """The reconstruction's target is the image; the KL term's is 0."""
        import tensorflow as tf

        return lambda images, labels: (images, {"reconstruction": images, "kl": tf.zeros(())})

    def data_figures(self, datasets, examples) -> dict:
        """Training images as the model sees them; refuses pixels outside [0, 1] (the decoder ends in a sigmoid)."""
        from models import plots
        from models.tasks.realism import require_unit_pixels

        images = require_unit_pixels(np.asarray(next(iter(datasets.train))[0]), "vae")
        return {"training_images.png": plots.image_grid(images[:SAMPLE_SEEDS], [""] * min(len(images), SAMPLE_SEEDS),
                                                        title="Training images")}

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Encoder (the backbone, then mean and log-variance), sampled code and decoder (`models.tasks.vae.model`)."""
        from models.tasks.vae.model import build_vae

        return build_vae(backbone, input_shape, latent=self.head.latent, decoder_filters=self.head.decoder_filters,
                         seed=self.spec.seed, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """The negative ELBO: summed binary cross-entropy plus beta x KL, each logged as a loss of its own."""
        from models.tasks.vae.model import mean_value, summed_binary_crossentropy

        return {"loss": {"reconstruction": summed_binary_crossentropy, "kl": mean_value},
                "loss_weights": {"reconstruction": 1.0, "kl": self.head.beta}}

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """The images of the same seeds after every epoch, under `samples/`."""
        from models import plots

        pixels = self.generate(model, np.arange(SAMPLE_SEEDS))
        return Evaluation(figures={f"samples/epoch_{epoch + 1:03d}.png": plots.image_grid(
            pixels, [f"seed {i}" for i in range(SAMPLE_SEEDS)], title=f"Samples after epoch {epoch + 1}")})

    def generate(self, model, seeds) -> np.ndarray:
        """uint8 images [n, h, w, c] of the decoder for the codes of `seeds`."""
        from models.seeded import seeded_codes, to_pixels

        codes = seeded_codes(np.asarray(seeds, "int64"), self.head.latent)
        return to_pixels(model.get_layer("decoder")(codes, training=False)).numpy()

    # Evaluation -------------------------------------------------------------------------------

    def calibrate(self, model, datasets, splits) -> None:
        """FID and KID of as many samples as held-out images, against them, in a feature space of the real images
        (`models.tasks.realism`), and the same distances between real training and held-out images (the floor)."""
        from models.tasks.realism import Realism
        from models.seeded import seeded_codes

        held = 2 if splits[2].size else 1
        realism = Realism(datasets, splits, image_shape=datasets.model_input_shape,
                          num_classes=len(self.class_names), seed=self.spec.seed, features=self.head.realism_features)
        count = len(realism.real_features(held))
        codes = seeded_codes(np.arange(count, dtype="int64"), self.head.latent).numpy()
        fake = np.asarray(model.get_layer("decoder").predict(codes, batch_size=256, verbose=0))
        self.realism = {**realism.scores(fake, held, "test_"), **realism.floor(held, "test_")}

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The negative ELBO and its two terms on the test split; samples, reconstructions and the codes in 2-D."""
        from models import plots
        from models.tasks.vae import plots as vae_plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        images = np.concatenate([np.asarray(x) for x, _ in dataset])
        encoded = model.get_layer("encoder").predict(images, batch_size=256, verbose=0)
        reconstructions = np.asarray(model.get_layer("decoder").predict(encoded["mean"], batch_size=256, verbose=0))
        shown = min(16, len(images))
        figures = {
            "samples.png": plots.image_grid(self.generate(model, np.arange(SAMPLE_SEEDS)),
                                            [f"seed {i}" for i in range(SAMPLE_SEEDS)], title="Samples"),
            "reconstructions.png": plots.image_grid(
                np.concatenate([images[:shown], reconstructions[:shown]]),
                ["test"] * shown + ["reconstructed"] * shown, title="Test images and their reconstructions"),
            "codes.png": vae_plots.code_scatter(encoded["mean"], held_out.labels, self.class_names),
        }
        metrics["test_code_active_units"] = float(np.sum(np.var(encoded["mean"], axis=0) > 0.01))
        metrics.update(self.realism)
        verdicts = [f"Test negative ELBO {metrics['test_loss']:.4g}: reconstruction "
                    f"{metrics.get('test_reconstruction_loss', float('nan')):.4g} + beta x KL "
                    f"{metrics.get('test_kl_loss', float('nan')):.4g}; {int(metrics['test_code_active_units'])} of "
                    f"{self.head.latent} code units in use."]
        if self.realism:
            verdicts.append(f"Samples: FID {self.realism['test_fid']:.4g} and KID {self.realism['test_kid']:.4g} "
                            f"against held-out images; real training images score {self.realism['test_fid_real_floor']:.4g} "
                            f"and {self.realism['test_kid_real_floor']:.4g} (the floor).")
        return Evaluation(metrics, figures, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default`/`generate(seed)` -> `pixels`, `png_bytes`; `encode(image_bytes)` -> `mean`, `log_variance`."""
        import tensorflow as tf

        from data.images import decode_image
        from models.seeded import seeded_codes, to_pixels

        decoder, encoder = model.get_layer("decoder"), model.get_layer("encoder")
        latent, image_shape, preprocess = self.head.latent, self.input_shape, datasets.preprocess

        def generate(seed):
            pixels = to_pixels(decoder(seeded_codes(seed, latent), training=False))
            return {"pixels": pixels, "png_bytes": tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)}

        def encode(image_bytes):
            images = tf.map_fn(lambda b: decode_image(b, image_shape), image_bytes,
                               fn_output_signature=tf.TensorSpec(image_shape, tf.float32))
            return encoder(preprocess(images), training=False)

        seeds = [tf.TensorSpec([None], tf.int64, name=self.input_name)]
        endpoints = {"serving_default": (generate, seeds), "generate": (generate, seeds),
                     "encode": (encode, [tf.TensorSpec([None], tf.string, name="image_bytes")])}
        return [model, *datasets.preprocessing_layers], endpoints

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per index: its number as the seed."""
        return [{self.input_name: np.array([i], "int64")} for i in indices]

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --seed N --output FOLDER`."""
        return ["--seed", str(int(request[self.input_name][0])), "--output", str(folder)]

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras decoder's pixels for the same seeds."""
        return self.generate(model, np.concatenate([r[self.input_name] for r in requests]))

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest pixel difference between the export's images and the Keras decoder's, in levels and in [0, 1]."""
        levels = np.abs(np.asarray(served["pixels"], "int64") - reference.astype("int64"))
        return {"export_parity_max_abs_diff": float(levels.max()) / 255.0,
                "export_parity_max_level_diff": float(levels.max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """The same seed gives the same image: every pixel within one level (a rounding step)."""
        return parity["export_parity_max_level_diff"] <= 1.0
