"""The numpy source: .npz images or features with labels."""

import numpy as np
import pytest

from data.sources.numpy import NumpyOptions, load_numpy


def _npz(tmp_path, **arrays):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return str(path)


def test_grayscale_images_get_a_channel_axis(tmp_path):
    path = _npz(tmp_path, x=np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6), y=np.array([0, 2, 1, 2]))
    examples = load_numpy(NumpyOptions(path=path))
    assert examples.inputs.shape == (4, 5, 6, 1) and examples.inputs.dtype == np.uint8
    assert examples.class_names == ["0", "1", "2"]
    assert examples.labels.tolist() == [0, 2, 1, 2]


def test_color_images_keys_and_class_names(tmp_path):
    path = _npz(tmp_path, images=np.zeros((3, 4, 4, 3), np.uint8), labels=np.array([1, 0, 1], np.uint8))
    options = NumpyOptions(path=path, inputs_key="images", labels_key="labels", class_names=["cat", "dog", "fox"])
    examples = load_numpy(options)
    assert examples.input_shape == (4, 4, 3) and examples.class_names == ["cat", "dog", "fox"]


def test_features_are_float32(tmp_path):
    path = _npz(tmp_path, x=np.arange(6).reshape(3, 2), y=np.array([0, 1, 0]))
    examples = load_numpy(NumpyOptions(path=path))
    assert examples.inputs.dtype == np.float32 and examples.inputs.shape == (3, 2)


def test_missing_key_and_length_mismatch_name_file_and_key(tmp_path):
    path = _npz(tmp_path, x=np.zeros((3, 2)), y=np.array([0, 1]))
    with pytest.raises(ValueError) as caught:
        load_numpy(NumpyOptions(path=path, labels_key="labels"))
    assert path in str(caught.value) and "'labels'" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        load_numpy(NumpyOptions(path=path))
    assert path in str(caught.value) and "3 rows in 'x'" in str(caught.value) and "2 in 'y'" in str(caught.value)


def test_bad_arrays_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        load_numpy(NumpyOptions(path=_npz(tmp_path, x=np.zeros((2, 4, 4)), y=np.array([0, 1]))))
    with pytest.raises(ValueError, match="no name"):
        load_numpy(NumpyOptions(path=_npz(tmp_path, x=np.zeros((2, 3)), y=np.array([0, 5])), class_names=["a", "b"]))
    with pytest.raises(ValueError, match="no file"):
        load_numpy(NumpyOptions(path=str(tmp_path / "none.npz")))
