"""The input size chosen from object sizes: small objects keep their resolution, large images are reduced."""

import numpy as np

from data.object_sizes import ObjectSizes, box_sizes, input_size, region_sizes


def scenes(image: tuple[int, int], sides: list[float], count: int = 20) -> ObjectSizes:
    """`count` images of size `image`, each with square objects of the given sides in pixels."""
    boxes = [{"boxes": np.array([[0, 0, side, side] for side in sides])} for _ in range(count)]
    return box_sizes([image] * count, boxes)


def test_small_objects_keep_their_resolution():
    # The scenes: 96x96 with objects of 18-40 px. 64x64 would shrink the small ones to 12 px.
    small = scenes((96, 96), [18, 22, 30, 40])
    assert input_size(small, smallest=16, multiple=32) == (96, 96)
    assert np.percentile(small.object_pixels(64, 64), 10) < 16


def test_large_images_with_large_objects_are_reduced():
    large = scenes((480, 640), [150, 200, 260])
    height, width = input_size(large, smallest=16, multiple=32)
    assert (height, width) == (64, 96)
    assert np.percentile(large.object_pixels(height, width), 10) >= 16


def test_tiny_objects_are_bounded_by_the_largest_size_and_twice_the_image():
    tiny = scenes((480, 640), [4, 5])
    assert input_size(tiny, smallest=16, multiple=32) == (480, 640)  # 640 px on the longer side at most
    assert input_size(scenes((40, 40), [2]), smallest=16, multiple=32) == (96, 96)  # at most twice 40, rounded up


def test_without_objects_the_median_image_size_is_kept():
    empty = box_sizes([[100, 100], [120, 100]], [{"boxes": np.zeros((0, 4))}] * 2)
    assert input_size(empty, smallest=16, multiple=16) == (112, 112)


def test_mask_regions_are_the_connected_parts_of_each_class():
    mask = np.zeros((40, 80), "uint8")
    mask[0:10, 0:8] = 1      # a class-1 region
    mask[20:40, 40:80] = 1   # another class-1 region, not touching it
    mask[12:16, 10:30] = 2
    mask[30:40, 0:10] = 255  # ignored
    found = region_sizes([mask], ignore_index=255)
    assert sorted(map(tuple, (found.object_fractions * [40, 80]).round().astype(int).tolist())) == [
        (4, 20), (10, 8), (20, 40)]
