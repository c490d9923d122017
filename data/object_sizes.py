"""How large the objects (boxes, mask regions) of a training split are, and the input size that keeps them visible.

Detection and segmentation models see objects through strided feature maps: an
object that a `resize` stage shrinks to a few pixels falls between the cells of
the finest map and is never found. `object_sizes` measures each object's
height and width as fractions of its own image, and `input_size` picks the
smallest input (a multiple of the model's stride, at the images' median aspect
ratio) at which the small objects (the 10th percentile) keep `smallest` pixels
on their shorter side, without going past twice the images' own size or
`largest` pixels.

Example:
    >>> import numpy as np
    >>> sizes = ObjectSizes(np.array([[96, 96]] * 4), np.array([[0.2, 0.2], [0.25, 0.3], [0.4, 0.4], [0.3, 0.2]]))
    >>> input_size(sizes, smallest=16, multiple=32)
    (96, 96)
    >>> input_size(sizes, smallest=8, multiple=32)
    (64, 64)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMALL_OBJECT_QUANTILE = 10
"""The percentile of object sizes that `input_size` keeps resolvable ("the smallest common objects")."""


@dataclass(frozen=True)
class ObjectSizes:
    """Image sizes (N, 2) as (height, width) in pixels, and object sizes (M, 2) as fractions of their image."""

    image_sizes: np.ndarray
    object_fractions: np.ndarray

    @property
    def median_image(self) -> tuple[int, int]:
        """The median (height, width) of the images."""
        return tuple(int(round(v)) for v in np.median(self.image_sizes, axis=0))

    def object_pixels(self, height: int, width: int) -> np.ndarray:
        """The shorter side, in pixels, of every object once its image is resized to (height, width)."""
        if not len(self.object_fractions):
            return np.zeros(0)
        return np.minimum(self.object_fractions[:, 0] * height, self.object_fractions[:, 1] * width)

    def summary(self, height: int | None = None, width: int | None = None) -> str:
        """One line: images, median size, objects and their shorter sides (at their own size, and resized).

        Example:
            >>> ObjectSizes(np.array([[100, 200]]), np.array([[0.1, 0.05], [0.5, 0.5]])).summary(50, 100)
            '1 images (median 100x200), 2 objects, shorter side 10th percentile 14.0 px, median 30.0 px; at 50x100: 7.0 px and 15.0 px'
        """
        own = _object_sides(self)
        line = (f"{len(self.image_sizes)} images (median {self.median_image[0]}x{self.median_image[1]}), "
                f"{len(self.object_fractions)} objects")
        if not len(own):
            return line
        line += (f", shorter side {SMALL_OBJECT_QUANTILE}th percentile {np.percentile(own, SMALL_OBJECT_QUANTILE):.1f} "
                 f"px, median {np.median(own):.1f} px")
        if height is not None and width is not None:
            resized = self.object_pixels(height, width)
            line += (f"; at {height}x{width}: {np.percentile(resized, SMALL_OBJECT_QUANTILE):.1f} px and "
                     f"{np.median(resized):.1f} px")
        return line


def _object_sides(sizes: ObjectSizes) -> np.ndarray:
    """Each object's shorter side in pixels of its own image (fractions times the median image size)."""
    height, width = sizes.median_image
    return sizes.object_pixels(height, width)


def box_sizes(image_sizes, boxes) -> ObjectSizes:
    """ObjectSizes of detection examples: `boxes` is one dict per image with xyxy pixel `boxes` (k, 4).

    Example:
        >>> found = box_sizes([[100, 50]], [{"boxes": np.array([[0, 0, 10, 20]])}])
        >>> found.object_fractions.tolist()
        [[0.2, 0.2]]
    """
    image_sizes = np.asarray(image_sizes, dtype="float64").reshape(-1, 2)
    fractions = [np.zeros((0, 2))]
    for (height, width), row in zip(image_sizes, boxes):
        corners = np.asarray(row["boxes"], dtype="float64").reshape(-1, 4)
        fractions.append(np.stack([(corners[:, 3] - corners[:, 1]) / height,
                                   (corners[:, 2] - corners[:, 0]) / width], axis=1))
    return ObjectSizes(image_sizes, np.concatenate(fractions))


def region_sizes(masks, ignore_index: int | None = None) -> ObjectSizes:
    """ObjectSizes of segmentation masks ([H, W] class ids): every connected region of a class other than 0.

    Example:
        >>> mask = np.zeros((10, 20), "uint8"); mask[2:4, 5:15] = 1
        >>> region_sizes([mask]).object_fractions.tolist()
        [[0.2, 0.5]]
    """
    from scipy import ndimage

    image_sizes, fractions = [], [np.zeros((0, 2))]
    for mask in masks:
        mask = np.asarray(mask).reshape(np.shape(mask)[:2])
        height, width = mask.shape
        image_sizes.append((height, width))
        for value in np.unique(mask):
            if value == 0 or value == ignore_index:
                continue
            labelled, _ = ndimage.label(mask == value)
            for found in ndimage.find_objects(labelled):
                fractions.append([[(found[0].stop - found[0].start) / height,
                                   (found[1].stop - found[1].start) / width]])
    return ObjectSizes(np.asarray(image_sizes, dtype="float64").reshape(-1, 2), np.concatenate(fractions))


def _round_up(value: float, multiple: int) -> int:
    return int(max(multiple, np.ceil(value / multiple) * multiple))


def input_size(sizes: ObjectSizes, *, smallest: int, multiple: int, largest: int = 640) -> tuple[int, int]:
    """(height, width) for a `resize` stage: small objects keep `smallest` px, a multiple of `multiple`.

    The aspect ratio is the images' median one. The size is as small as that
    rule allows (training time grows with it), at most twice the median image
    and at most `largest` on the longer side; with no objects, the median
    image size rounded to `multiple`.

    Example:
        >>> tiny = ObjectSizes(np.array([[480, 640]]), np.array([[0.02, 0.02]]))
        >>> input_size(tiny, smallest=16, multiple=32)
        (480, 640)
    """
    height, width = sizes.median_image
    aspect = width / height
    if len(sizes.object_fractions):
        shorter = np.minimum(sizes.object_fractions[:, 0], sizes.object_fractions[:, 1] * aspect)
        needed = smallest / max(float(np.percentile(shorter, SMALL_OBJECT_QUANTILE)), 1e-6)
    else:
        needed = height
    needed = min(needed, 2 * height, largest / max(aspect, 1.0))
    return _round_up(needed, multiple), _round_up(min(needed * aspect, largest), multiple)
