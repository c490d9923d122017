"""The image_folder source: class sub-folders, bad files caught at load, lazy decoding."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from data.errors import BadRecordError
from data.sources.image_folder import ImageFolderOptions, load_image_folder


def _png(path, size=(12, 10), value=0, mode="RGB"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


@pytest.fixture
def folder(tmp_path):
    """cat: 3 images (one JPEG) + a garbage file, dog: 2 images; a text file that is ignored."""
    _png(tmp_path / "cat" / "1.png", value=10)
    _png(tmp_path / "cat" / "2.png", value=20, mode="L")
    Image.new("RGB", (9, 7), (1, 2, 3)).save(tmp_path / "cat" / "3.jpg")
    (tmp_path / "cat" / "bad.png").write_bytes(b"this is not an image at all")
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    _png(tmp_path / "dog" / "a.png", value=30)
    _png(tmp_path / "dog" / "b.PNG", value=40)
    return tmp_path


def test_bad_file_is_an_error_naming_the_file(folder):
    with pytest.raises(BadRecordError) as caught:
        load_image_folder(ImageFolderOptions(path=str(folder)))
    message = str(caught.value)
    assert str(folder / "cat" / "bad.png") in message
    assert "cannot identify image file" in message


def test_skip_counts_and_lists_the_bad_file(folder):
    examples = load_image_folder(ImageFolderOptions(path=str(folder)), on_bad_record="skip")
    assert examples.skipped == 1
    assert len(examples.skipped_records) == 1 and "bad.png" in examples.skipped_records[0]
    assert examples.class_names == ["cat", "dog"]
    assert examples.labels.tolist() == [0, 0, 0, 1, 1]
    assert examples.inputs.dtype.kind == "U"
    assert [os.path.basename(p) for p in examples.inputs] == ["1.png", "2.png", "3.jpg", "a.png", "b.PNG"]
    assert all(os.path.isabs(p) for p in examples.inputs)


def test_truncated_file_is_a_bad_record(tmp_path):
    _png(tmp_path / "a" / "ok.png")
    _png(tmp_path / "b" / "ok.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "b" / "full.png")
    data = (tmp_path / "b" / "full.png").read_bytes()
    (tmp_path / "b" / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(BadRecordError, match="cut.png"):
        load_image_folder(ImageFolderOptions(path=str(tmp_path)))


def test_decode_gives_the_image_shape(folder):
    import tensorflow as tf

    rgb = load_image_folder(ImageFolderOptions(path=str(folder), image_size=[16, 20]), on_bad_record="skip")
    assert rgb.image_shape == (16, 20, 3) and rgb.input_shape == (16, 20, 3)
    image = rgb.decode(tf.constant(rgb.inputs[0]))
    assert image.shape == (16, 20, 3) and image.dtype == tf.float32
    assert float(tf.reduce_max(image)) == pytest.approx(10.0)

    gray = load_image_folder(
        ImageFolderOptions(path=str(folder), image_size=[8, 8], color_mode="grayscale"), on_bad_record="skip"
    )
    batch = tf.data.Dataset.from_tensor_slices(gray.inputs).map(gray.decode).batch(8)
    assert next(iter(batch)).shape == (5, 8, 8, 1)


@pytest.mark.parametrize(
    "layout, words",
    [
        ("missing", ["missing", "not a folder"]),
        ("flat", ["no class sub-folders"]),
        ("empty_class", ["empty", "has no images"]),
    ],
)
def test_folder_problems_name_the_path(tmp_path, layout, words):
    root = tmp_path / "missing"
    if layout == "flat":
        root = tmp_path
        _png(tmp_path / "1.png")
    elif layout == "empty_class":
        root = tmp_path
        _png(tmp_path / "full" / "1.png")
        (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError) as caught:
        load_image_folder(ImageFolderOptions(path=str(root)))
    for word in words:
        assert word in str(caught.value)


def test_class_with_only_bad_files_fails_even_when_skipping(tmp_path):
    _png(tmp_path / "good" / "1.png")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "1.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="has no readable images"):
        load_image_folder(ImageFolderOptions(path=str(tmp_path)), on_bad_record="skip")


def test_options_are_validated():
    with pytest.raises(ValueError):
        ImageFolderOptions(path="x", image_size=[32])
    with pytest.raises(ValueError):
        ImageFolderOptions(path="x", color_mode="rgba")
    assert ImageFolderOptions(path="x").image_size == [256, 256]


def test_source_modules_import_nothing_heavy():
    code = (
        "import sys\n"
        "import data.sources.image_folder, data.sources.csv, data.sources.parquet\n"
        "import data.sources.numpy, data.sources.tfds, data.sources.sklearn\n"
        "from pipelines.registry import sources\n"
        "assert {'image_folder', 'csv', 'parquet', 'numpy', 'tfds'} <= set(sources.names())\n"
        "assert all(c.summary for c in sources)\n"
        "heavy = {'tensorflow', 'PIL', 'pandas', 'sklearn', 'tensorflow_datasets'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
