"""Real image patches: square tiles cut from the two photos scikit-learn ships, labelled by photo and quadrant.

Nobody here drew these pixels: `sklearn.datasets.load_sample_images()` ships
`china.jpg` (a pagoda, sky, trees and a lake) and `flower.jpg` (a dahlia on
dark leaves), both 427x640. Each photo is cut into its four quadrants and each
quadrant into a grid of non-overlapping `size` x `size` tiles, so that no pixel
is in two patches (no near-copies across a train/test split). The class is
`<photo>_<quadrant>` (8 classes, e.g. `china_top_left`): telling the photos
apart is easy by colour, telling the quadrants of one photo apart takes
texture and shape (sky left or right of the pagoda, which side of the flower
the petals point to), and some tiles (plain sky, blurred leaves) cannot be told
apart at all, so no model reaches 100%.

The seed picks where each quadrant's grid starts (within the margin the tiles
leave) and which `count` tiles of it are written; the same seed and scikit-learn
photos write the same bytes.

Usage:
    python -m data.synthetic.photo_patches FOLDER [--count 200] [--size 16] [--seed 0]
    # then: data.source = {type: image_folder, path: FOLDER, image_size: [16, 16]}

Example:
    >>> import tempfile
    >>> written = write_photo_patches(tempfile.mkdtemp(), count=3, size=16, seed=0)
    >>> len(written), written["china_top_left"], max_count(16)
    (8, 3, 260)
"""

from __future__ import annotations

import argparse
import functools
import os

import numpy as np

QUADRANTS = ("top_left", "top_right", "bottom_left", "bottom_right")
SHAPE = (427, 640)
"""(height, width) of both sample photos."""


def class_names() -> list[str]:
    """The 8 class names, `<photo>_<quadrant>`, in the order `photo_patches` yields them.

    Example:
        >>> class_names()[:2], len(class_names())
        (['china_top_left', 'china_top_right'], 8)
    """
    return [f"{photo}_{quadrant}" for photo in ("china", "flower") for quadrant in QUADRANTS]


def max_count(size: int) -> int:
    """The most non-overlapping `size` x `size` tiles every quadrant holds (the largest valid `count`)."""
    height, width = SHAPE[0] // 2, SHAPE[1] // 2
    return (height // size) * (width // size)


def photo_patches(count: int = 200, size: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """Class name -> uint8 patches (count, size, size, 3), `count` tiles of that photo quadrant.

    Example:
        >>> patches = photo_patches(count=2, size=8, seed=0)
        >>> patches["flower_bottom_right"].shape, patches["china_top_left"].dtype.name
        ((2, 8, 8, 3), 'uint8')
    """
    if size < 1 or count < 1:
        raise ValueError(f"count and size must be at least 1, got count={count}, size={size}")
    if count > max_count(size):
        raise ValueError(f"at most {max_count(size)} non-overlapping {size}x{size} tiles fit in a quadrant; "
                         f"asked for count={count}: lower --count or --size")
    rng = np.random.default_rng(seed)
    found = {}
    for name, image in _photos().items():
        for quadrant in QUADRANTS:
            found[f"{name}_{quadrant}"] = _tiles(_quadrant(image, quadrant), count, size, rng)
    return found


def write_photo_patches(folder: str, count: int = 200, size: int = 16, seed: int = 0) -> dict[str, int]:
    """Writes the patches as PNG files `folder/<class>/<class>_000.png`; returns class name -> files written.

    An `image_folder` source reads the result (`image_size: [size, size]`).
    """
    from PIL import Image

    written = {}
    for name, patches in photo_patches(count, size, seed).items():
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        for index, patch in enumerate(patches):
            Image.fromarray(patch).save(os.path.join(folder, name, f"{name}_{index:03d}.png"))
        written[name] = len(patches)
    return written


@functools.cache
def _photos() -> dict[str, np.ndarray]:
    """Photo name -> uint8 (427, 640, 3) pixels of scikit-learn's sample photos, by name (read once)."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images()
    found = {os.path.splitext(os.path.basename(path))[0]: image for path, image in zip(photos.filenames, photos.images)}
    if sorted(found) != ["china", "flower"] or any(image.shape[:2] != SHAPE for image in found.values()):
        raise ValueError(f"expected scikit-learn's china and flower photos of {SHAPE}, found {sorted(found)}")
    return dict(sorted(found.items()))


def _quadrant(image: np.ndarray, quadrant: str) -> np.ndarray:
    """One quarter of `image`: the top half is rows [0, height // 2), the left half columns [0, width // 2)."""
    height, width = image.shape[0] // 2, image.shape[1] // 2
    rows = slice(0, height) if quadrant.startswith("top") else slice(height, 2 * height)
    columns = slice(0, width) if quadrant.endswith("left") else slice(width, 2 * width)
    return image[rows, columns]


def _tiles(region: np.ndarray, count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """`count` of the non-overlapping size x size tiles of `region`, on a grid at a random offset, in grid order."""
    rows, columns = region.shape[0] // size, region.shape[1] // size
    top = int(rng.integers(0, region.shape[0] - rows * size + 1))
    left = int(rng.integers(0, region.shape[1] - columns * size + 1))
    chosen = np.sort(rng.choice(rows * columns, size=count, replace=False))
    return np.stack([
        region[top + row * size: top + (row + 1) * size, left + column * size: left + (column + 1) * size]
        for row, column in (divmod(int(index), columns) for index in chosen)
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="Folder to write (one sub-folder of PNG files per class)")
    parser.add_argument("--count", type=int, default=200, help="Patches per class (default 200)")
    parser.add_argument("--size", type=int, default=16, help="Side of each square patch in pixels (default 16)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        written = write_photo_patches(args.folder, args.count, args.size, args.seed)
    except ValueError as error:
        parser.error(str(error))
    print(f"Wrote {sum(written.values())} {args.size}x{args.size} patches in {len(written)} class folders "
          f"to {args.folder}")


if __name__ == "__main__":
    main()
