"""How close generated images are to real ones: FID and KID in the features of a classifier trained on the real data.

`FeatureNet.fit(images, labels)` trains a small convolutional classifier on
real images (the run's training split, as the model sees them); its
penultimate layer is the feature space. In it:

- `frechet_distance` (FID): the Fréchet distance between Gaussians fitted to
  the real and generated features (lower is better; 0 for the same
  distribution);
- `kernel_distance` (KID): the unbiased squared MMD with the cubic polynomial
  kernel, averaged over subsets (lower is better; near 0 for the same
  distribution, and unbiased for small samples, unlike FID);
- `FeatureNet.accuracy(images, class_ids)`: the share of images the
  classifier assigns to the given classes: a conditional generator's
  conditional accuracy, and the classifier's own accuracy on real images as
  its ceiling.

These are the usual definitions (Heusel et al. 2017; Binkowski et al. 2018)
computed on this task-specific feature space, not on Inception-v3: compare
them between runs on the same data, not with published numbers.
`BackboneFeatures` gives a fixed feature space instead: a given (pretrained)
keras-hub image backbone's pooled outputs, comparable across data sets.

Example:
    >>> rng = np.random.default_rng(0)
    >>> same = frechet_distance(rng.normal(size=(500, 4)), rng.normal(size=(500, 4)))
    >>> moved = frechet_distance(rng.normal(size=(500, 4)), rng.normal(size=(500, 4)) + 1)
    >>> bool(same < 0.1 < 3.5 < moved)
    True
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.backbones.keras_hub import KerasHubOptions
from pipelines.options import Options, PositiveInt

FEATURE_EPOCHS = 40
"""Epochs the feature classifier trains on the real training images."""


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two feature sets [n, d]: |mu_r - mu_f|^2 + Tr(C_r + C_f - 2 (C_r C_f)^1/2)."""
    from scipy import linalg

    real, fake = np.asarray(real, "float64"), np.asarray(fake, "float64")
    mean_real, mean_fake = real.mean(0), fake.mean(0)
    cov_real, cov_fake = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root, _ = linalg.sqrtm(cov_real @ cov_fake, disp=False)
    if not np.isfinite(root).all():
        offset = np.eye(len(cov_real)) * 1e-6
        root = linalg.sqrtm((cov_real + offset) @ (cov_fake + offset))
    root = np.real(root)
    return float(np.sum((mean_real - mean_fake) ** 2) + np.trace(cov_real + cov_fake - 2 * root))


def kernel_distance(real: np.ndarray, fake: np.ndarray, subsets: int = 10, size: int = 200, seed: int = 0) -> float:
    """KID: the unbiased MMD^2 with the kernel (x.y / d + 1)^3, the mean over random subsets of both sets.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> abs(kernel_distance(rng.normal(size=(300, 3)), rng.normal(size=(300, 3)))) < 0.05
        True
    """
    rng = np.random.default_rng(seed)
    real, fake = np.asarray(real, "float64"), np.asarray(fake, "float64")
    size = min(size, len(real), len(fake))
    dimension = real.shape[1]
    values = []
    for _ in range(subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        kxx, kyy, kxy = ((a @ b.T / dimension + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        off = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (size * (size - 1))
        values.append(off - 2 * kxy.mean())
    return float(np.mean(values))


class FeatureNet:
    """A small convolutional classifier of the real images whose penultimate layer is the feature space."""

    def __init__(self, image_shape, num_classes: int, seed: int = 0):
        import keras

        keras.utils.set_random_seed(seed)
        inputs = keras.Input(image_shape)
        x = inputs
        for filters in (32, 64):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = keras.layers.MaxPooling2D()(x) if min(x.shape[1], x.shape[2]) >= 2 else x
        features = keras.layers.Dense(64, activation="relu", name="features")(keras.layers.GlobalAveragePooling2D()(x))
        outputs = keras.layers.Dense(max(num_classes, 2), activation="softmax")(features)
        self.classifier = keras.Model(inputs, outputs)
        self.extractor = keras.Model(inputs, features)
        self.classifier.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                                metrics=["accuracy"])

    def fit(self, images: np.ndarray, labels: np.ndarray) -> FeatureNet:
        """Train on real images and their class ids (with one class, the features stay random projections)."""
        if len(np.unique(labels)) > 1:
            self.classifier.fit(np.asarray(images, "float32"), np.asarray(labels), epochs=FEATURE_EPOCHS,
                                batch_size=64, verbose=0, shuffle=True)
        return self

    def features(self, images: np.ndarray) -> np.ndarray:
        """Features [n, 64] of images as the model sees them."""
        return np.asarray(self.extractor.predict(np.asarray(images, "float32"), batch_size=256, verbose=0))

    def accuracy(self, images: np.ndarray, class_ids: np.ndarray) -> float:
        """The share of images the classifier assigns to `class_ids`."""
        predicted = np.argmax(self.classifier.predict(np.asarray(images, "float32"), batch_size=256, verbose=0), -1)
        return float(np.mean(predicted == np.asarray(class_ids)))


class BackboneFeatures:
    """A keras-hub image backbone's spatially averaged outputs as the feature space.

    Images in [0, 1] are resized to `image_size` squared, grey ones repeated to
    three channels, and scaled to [0, 255] through `converter` (the preset's
    `ImageConverter`: its rescaling and normalization) or, without one, kept in
    [0, 1].

    Example:
        >>> features = BackboneFeatures(backbone, image_size=32).features(images)   # doctest: +SKIP
        >>> features.shape                                                          # doctest: +SKIP
        (100, 64)
    """

    def __init__(self, backbone, image_size: int, converter=None):
        self.backbone, self.image_size, self.converter = backbone, image_size, converter

    def features(self, images: np.ndarray) -> np.ndarray:
        """Features [n, channels] of images [n, h, w, c] with values in [0, 1]."""
        import keras
        from keras import ops

        out = []
        for start in range(0, len(images), 128):
            x = ops.convert_to_tensor(np.asarray(images[start:start + 128], "float32"))
            if x.shape[-1] == 1:
                x = ops.repeat(x, 3, axis=-1)
            x = keras.layers.Resizing(self.image_size, self.image_size)(x)
            x = self.converter(x * 255.0) if self.converter is not None else x
            y = self.backbone(x, training=False)
            out.append(np.asarray(ops.mean(y, axis=tuple(range(1, len(y.shape) - 1))) if len(y.shape) > 2 else y))
        return np.concatenate(out).astype("float64")


class RealismFeatures(Options):
    """FID and KID in a given keras-hub image backbone's features (e.g. a pretrained ResNet preset), comparable
    across data sets, instead of the run's own classifier's; conditional accuracy still uses that classifier."""

    backbone: KerasHubOptions = Field(description="The keras-hub image backbone: {name, preset} or {name, config}.")
    image_size: PositiveInt = Field(224, le=2048, description="Images are resized to this square before it.")


class MeasuresRealism(Options):
    """Head options of a generative task whose samples are measured against the real images (FID, KID)."""

    realism_features: RealismFeatures | None = Field(
        None, description="FID and KID in a given keras-hub image backbone's features (e.g. {backbone: {name: "
                          "ResNetBackbone, preset: resnet_50_imagenet}}) instead of the run's own classifier's.")


class MeasuresRealismEvery(MeasuresRealism):
    """The same, measured on the validation split during training as well."""

    fidelity_every: PositiveInt = Field(1, description="Epochs between the val_fid / val_kid measurements.")


def backbone_features(options: RealismFeatures) -> BackboneFeatures:
    """The feature space `options` names, with the preset's image converter when it has one.

    Example:
        >>> backbone_features(RealismFeatures(backbone={"name": "ResNetBackbone", "preset": "resnet_50_imagenet"}))  # doctest: +SKIP
    """
    import keras_hub

    from models.backbones.keras_hub import keras_hub_backbone

    size = options.image_size
    backbone = keras_hub_backbone(options.backbone, input_shape=(size, size, 3), name="realism_backbone")
    converter = None
    if options.backbone.preset is not None:
        converter = keras_hub.layers.ImageConverter.from_preset(options.backbone.preset, image_size=(size, size))
    return BackboneFeatures(backbone, size, converter)
