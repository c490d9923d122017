"""Augmentation layers the `augment` stage can use: Keras core layers, by name.

Each takes a batch dict `{"images": ..., "labels": ...}`, so label-mixing
layers (mix_up, cut_mix) mix the one-hot labels with the pixels.

Example (YAML):
    - augment: [{random_flip: horizontal}, {random_rotation: 0.1}, {rand_augment: {magnitude: 0.3}}]
"""

from typing import Literal

from pydantic import Field

from data.annotations import BOX_FORMAT
from pipelines.options import Fraction, Options, PositiveFloat, PositiveInt
from pipelines.registry import augmentations


class FlipOptions(Options):
    shorthand = "mode"
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal"


class FactorOptions(Options):
    shorthand = "factor"
    factor: Fraction = Field(0.1, description="Strength, as a fraction of the image (or of a turn).")


class RandAugmentOptions(Options):
    magnitude: Fraction = Field(0.5, description="Strength of each operation, 0 to 1.")
    num_ops: PositiveInt = Field(2, le=14, description="Operations applied per image.")


class MixUpOptions(Options):
    shorthand = "alpha"
    alpha: PositiveFloat = Field(0.2, description="Beta distribution parameter of the mixing weight.")


class CutMixOptions(Options):
    shorthand = "factor"
    factor: PositiveFloat = Field(1.0, description="Beta distribution parameter of the patch size.")


@augmentations.register("random_flip", FlipOptions)
def random_flip(options: FlipOptions, *, value_range, seed):
    """Flip images at random (keras.layers.RandomFlip)."""
    import keras

    return keras.layers.RandomFlip(options.mode, seed=seed, bounding_box_format=BOX_FORMAT)


@augmentations.register("random_rotation", FactorOptions)
def random_rotation(options: FactorOptions, *, value_range, seed):
    """Rotate by up to `factor` of a full turn (keras.layers.RandomRotation)."""
    import keras

    return keras.layers.RandomRotation(options.factor, fill_mode="constant", seed=seed, bounding_box_format=BOX_FORMAT)


@augmentations.register("random_zoom", FactorOptions)
def random_zoom(options: FactorOptions, *, value_range, seed):
    """Zoom in or out by up to `factor` (keras.layers.RandomZoom)."""
    import keras

    return keras.layers.RandomZoom(options.factor, fill_mode="constant", seed=seed, bounding_box_format=BOX_FORMAT)


@augmentations.register("random_translation", FactorOptions)
def random_translation(options: FactorOptions, *, value_range, seed):
    """Shift by up to `factor` of height and width (keras.layers.RandomTranslation)."""
    import keras

    return keras.layers.RandomTranslation(options.factor, options.factor, fill_mode="constant", seed=seed, bounding_box_format=BOX_FORMAT)


@augmentations.register("random_contrast", FactorOptions)
def random_contrast(options: FactorOptions, *, value_range, seed):
    """Change contrast by up to `factor` (keras.layers.RandomContrast)."""
    import keras

    return keras.layers.RandomContrast(options.factor, value_range=value_range, seed=seed)


@augmentations.register("random_brightness", FactorOptions)
def random_brightness(options: FactorOptions, *, value_range, seed):
    """Change brightness by up to `factor` (keras.layers.RandomBrightness)."""
    import keras

    return keras.layers.RandomBrightness(options.factor, value_range=value_range, seed=seed)


@augmentations.register("random_hue", FactorOptions)
def random_hue(options: FactorOptions, *, value_range, seed):
    """Shift the hue by a random amount, up to `factor` of the widest shift (keras.layers.RandomHue)."""
    import keras

    return keras.layers.RandomHue(options.factor, value_range=value_range, seed=seed)


@augmentations.register("rand_augment", RandAugmentOptions)
def rand_augment(options: RandAugmentOptions, *, value_range, seed):
    """RandAugment: `num_ops` random operations of strength `magnitude` (keras.layers.RandAugment)."""
    import keras

    return keras.layers.RandAugment(
        value_range=value_range, num_ops=options.num_ops, factor=options.magnitude, seed=seed
    )


@augmentations.register("mix_up", MixUpOptions)
def mix_up(options: MixUpOptions, *, value_range, seed):
    """MixUp: blend pairs of images and their labels (keras.layers.MixUp)."""
    import keras

    return keras.layers.MixUp(alpha=options.alpha, seed=seed)


@augmentations.register("cut_mix", CutMixOptions)
def cut_mix(options: CutMixOptions, *, value_range, seed):
    """CutMix: paste a patch of another image and mix labels by area (keras.layers.CutMix)."""
    import keras

    return keras.layers.CutMix(factor=options.factor, seed=seed)
