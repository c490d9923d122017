"""`augment`: random augmentation of training batches, with Keras core layers.

Runs after the cache, per batch, on the training split only; it never enters
the serving graph. `value_range` is the range of pixel values where the stage
sits: [0, 255] before a `rescale` stage, [0, 1] after it.

Example (YAML):
    stages:
      - augment: [{random_flip: horizontal}, {random_rotation: 0.1}, {mix_up: 0.2}]
      - augment: {layers: [random_flip], value_range: [0, 1]}
"""

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import augmentations, stages


class AugmentOptions(Options):
    shorthand = "layers"

    layers: list["AugmentationSpec"] = Field(description="Augmentation layers, applied in order.")  # noqa: F821
    value_range: tuple[float, float] = Field((0.0, 255.0), description="Pixel value range here.")


@stages.register("augment", AugmentOptions)
def augment(options: AugmentOptions, *, seed: int = 0):
    """Augment training batches with Keras layers (flip, rotation, zoom, RandAugment, MixUp, ...)."""
    from data.stage import Stage
    from pipelines.spec import keyed

    layers = []
    for index, item in enumerate(options.layers):
        name, layer_options = keyed(item)
        build = augmentations.get(name).build
        layers.append(build(layer_options, value_range=options.value_range, seed=seed + index))

    def apply(batch):
        for layer in layers:
            batch = layer(batch, training=True)
        return batch

    return Stage("augment", apply, training_only=True)
