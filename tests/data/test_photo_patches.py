"""Photo patches: deterministic, one folder per photo quadrant, non-overlapping tiles of the asked size."""

import numpy as np
import pytest
from PIL import Image

from data.sources.image_folder import ImageFolderOptions, load_image_folder
from data.synthetic.photo_patches import class_names, main, max_count, photo_patches, write_photo_patches


def test_same_seed_same_patches_other_seed_others():
    first, second, other = photo_patches(4, 8, seed=3), photo_patches(4, 8, seed=3), photo_patches(4, 8, seed=4)
    assert list(first) == class_names()
    assert all(np.array_equal(first[name], second[name]) for name in first)
    assert any(not np.array_equal(first[name], other[name]) for name in first)


def test_patches_are_distinct_tiles_of_their_quadrant():
    from sklearn.datasets import load_sample_images

    photos = load_sample_images()
    china = photos.images[["china" in path for path in photos.filenames].index(True)]
    patches = photo_patches(max_count(32), 32, seed=0)["china_top_left"]
    assert patches.shape == (max_count(32), 32, 32, 3)
    assert len({patch.tobytes() for patch in patches}) == len(patches)
    quadrant = china[: china.shape[0] // 2, : china.shape[1] // 2]
    found = np.lib.stride_tricks.sliding_window_view(quadrant, (32, 32, 3))[..., 0, :, :, :]
    assert (found == patches[0]).all(axis=(-3, -2, -1)).any()


def test_writes_an_image_folder_the_source_reads(tmp_path):
    written = write_photo_patches(str(tmp_path), count=3, size=12, seed=0)
    assert written == {name: 3 for name in class_names()}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(class_names())
    with Image.open(tmp_path / "flower_bottom_right" / "flower_bottom_right_002.png") as image:
        assert image.size == (12, 12) and image.mode == "RGB"
    examples = load_image_folder(ImageFolderOptions(path=str(tmp_path), image_size=[12, 12]))
    assert examples.class_names == sorted(class_names()) and np.bincount(examples.labels).tolist() == [3] * 8


def test_too_many_patches_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(ValueError, match="at most 260 non-overlapping 16x16 tiles"):
        photo_patches(count=261, size=16)
    with pytest.raises(SystemExit):
        main([str(tmp_path / "out"), "--count", "0"])
    assert "count and size must be at least 1" in capsys.readouterr().err
