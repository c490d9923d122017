"""Generated images against held-out real ones, for the generative tasks: FID, KID and conditional accuracy.

`Realism(datasets, splits, ...)` trains the feature classifier
(`models.fidelity.FeatureNet`) once on the training split's images as the
model sees them, and scores generated images against a held-out split's real
images in its feature space. `floor` is the same distances between the
training and held-out real images: the value a perfect generator would reach
with this many images, which is what the generator's FID and KID are read
against.

Example:
    >>> realism = Realism(datasets, splits, image_shape=(16, 16, 1), num_classes=10, seed=42)   # doctest: +SKIP
    >>> realism.scores(fake_images, split=2, prefix="test_")                                      # doctest: +SKIP
    {'test_fid': 12.3, 'test_kid': 0.011}
"""

from __future__ import annotations

import numpy as np

from data.dataset import model_inputs
from models.fidelity import FeatureNet, RealismFeatures, backbone_features, frechet_distance, kernel_distance

MAX_REAL = 2000
"""At most this many real images per split enter the distances."""


class Realism:
    """The feature classifier of the real images, and the real features of each split, computed once.

    With `features` (`RealismFeatures`) the distances are measured in that backbone's features instead.
    """

    def __init__(self, datasets, splits, *, image_shape, num_classes: int, seed: int,
                 features: RealismFeatures | None = None):
        self.datasets, self.splits = datasets, splits
        train = model_inputs(splits[0], datasets)[:MAX_REAL * 5]
        labels = np.asarray(splits[0].labels)[:len(train)]
        self.net = FeatureNet(image_shape, num_classes, seed=seed).fit(train, labels)
        self.space = self.net if features is None else backbone_features(features)
        self.real = {0: self.space.features(train[:MAX_REAL])}
        self.images = {0: train[:MAX_REAL]}

    def real_features(self, split: int) -> np.ndarray:
        """The features of up to MAX_REAL real images of split 0 (train), 1 (validation) or 2 (test)."""
        if split not in self.real:
            self.images[split] = model_inputs(self.splits[split], self.datasets)[:MAX_REAL]
            self.real[split] = self.space.features(self.images[split])
        return self.real[split]

    def scores(self, fake_images: np.ndarray, split: int, prefix: str) -> dict[str, float]:
        """`<prefix>fid` and `<prefix>kid` of generated images (as the model sees images) against a split's."""
        real, fake = self.real_features(split), self.space.features(fake_images)
        return {f"{prefix}fid": frechet_distance(real, fake), f"{prefix}kid": kernel_distance(real, fake)}

    def floor(self, split: int, prefix: str) -> dict[str, float]:
        """The distances between the training images and a held-out split's: what a perfect generator reaches."""
        count = min(len(self.real[0]), len(self.real_features(split)))
        real, other = self.real[0][:count], self.real_features(split)
        return {f"{prefix}fid_real_floor": frechet_distance(other, real),
                f"{prefix}kid_real_floor": kernel_distance(other, real)}

    def accuracy(self, images: np.ndarray, class_ids: np.ndarray) -> float:
        """The share of images the classifier assigns to `class_ids`."""
        return self.net.accuracy(images, class_ids)


def require_unit_pixels(images: np.ndarray, task: str) -> np.ndarray:
    """`images` (as the model sees them) when they lie in [0, 1], as a sigmoid generator makes them; else an error.

    Example:
        >>> require_unit_pixels(np.full((1, 2, 2, 1), 255.0), "gan")
        Traceback (most recent call last):
        ...
        ValueError: task gan generates pixels in [0, 1], but the training images reach [255, 255] after the stages; \
add a rescale stage (rescale: {scale: 0.00392156862745098} for 8-bit images)
    """
    low, high = float(images.min()), float(images.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(f"task {task} generates pixels in [0, 1], but the training images reach [{low:.4g}, "
                         f"{high:.4g}] after the stages; add a rescale stage (rescale: {{scale: "
                         f"0.00392156862745098}} for 8-bit images)")
    return images


def diversity(features: np.ndarray, pairs: int = 2000, seed: int = 0) -> float:
    """The mean distance between random pairs of feature vectors: near 0 when every image is alike.

    Example:
        >>> diversity(np.ones((10, 3))), round(diversity(np.eye(3)), 2) > 0
        (0.0, True)
    """
    rng = np.random.default_rng(seed)
    first, second = rng.integers(0, len(features), pairs), rng.integers(0, len(features), pairs)
    return float(np.mean(np.linalg.norm(features[first] - features[second], axis=1)))
