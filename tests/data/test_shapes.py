"""Generated shapes: deterministic, tight boxes, masks that match them, images of different sizes."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data.synthetic import write_shapes
from data.synthetic.shapes import CLASS_NAMES, COLORS


def _files(folder):
    out = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            out[os.path.relpath(path, folder)] = Path(path).read_bytes()
    return out


def test_same_seed_writes_the_same_bytes(tmp_path):
    first = write_shapes(str(tmp_path / "a"), count=4, seed=7)
    second = write_shapes(str(tmp_path / "b"), count=4, seed=7)
    other = write_shapes(str(tmp_path / "c"), count=4, seed=8)
    a, b, c = _files(first.folder), _files(second.folder), _files(other.folder)
    assert sorted(a) == sorted(b) and len(a) == 4 * 4 + 1  # images, masks, voc, labels, coco.json
    assert a == b  # no absolute paths inside the files either
    assert any(a[name] != c[name] for name in a)
    assert all(np.array_equal(x, y) for x, y in zip(first.boxes, second.boxes))


def test_boxes_are_tight_around_the_drawn_shapes(tmp_path):
    shapes = write_shapes(str(tmp_path), count=8, sizes=[(64, 64), (64, 80)], seed=1)
    assert shapes.sizes == [(64, 64), (64, 80)] * 4
    for image_path, mask_path, size, boxes, classes in zip(
        shapes.images, shapes.masks, shapes.sizes, shapes.boxes, shapes.classes
    ):
        image, mask = np.asarray(Image.open(image_path)), np.asarray(Image.open(mask_path))
        assert image.shape == (*size, 3) and mask.shape == size and mask.dtype == np.uint8
        assert 1 <= len(boxes) <= 3 and set(np.unique(mask).tolist()) == {0, *(classes + 1).tolist()}
        for (x1, y1, x2, y2), class_id in zip(boxes.astype(int), classes):
            assert min(x2 - x1, y2 - y1) >= 0.28 * min(size) - 1  # big enough to learn
            inside = mask[y1:y2, x1:x2] == class_id + 1
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            color = image[y1:y2, x1:x2][inside].mean(axis=0)
            assert np.abs(color - COLORS[CLASS_NAMES[class_id]]).max() <= 25


def test_formats_and_sizes_are_checked(tmp_path):
    only = write_shapes(str(tmp_path / "only"), count=2, sizes=(48, 40), formats=["coco"])
    assert sorted(only.sources) == ["coco"] and only.masks == [] and only.sizes == [(48, 40)] * 2
    assert sorted(os.listdir(only.folder)) == ["coco.json", "images"]
    with pytest.raises(ValueError, match="unknown formats"):
        write_shapes(str(tmp_path / "x"), count=1, formats=["pascal"])
    with pytest.raises(ValueError, match="at least 24"):
        write_shapes(str(tmp_path / "y"), count=1, sizes=(8, 8))
