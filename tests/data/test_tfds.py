"""The tfds source, on a tiny data set prepared locally; it must never reach the network."""

import socket

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data.sources.tfds import TfdsOptions, load_tfds


class KpipeTinyShapes(tfds.core.GeneratorBasedBuilder):
    """Nine 8x8 grayscale images of three classes, generated in memory."""

    VERSION = tfds.core.Version("1.0.0")

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        # No code folder (so no checksums file); the default lookup also needs the
        # importlib_resources package, which tfds 4.9.10 does not install on Python >= 3.9.
        return None

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(8, 8, 1)),
                    "label": tfds.features.ClassLabel(names=["circle", "square", "star"]),
                }
            ),
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(6), "test": self._generate_examples(3)}

    def _generate_examples(self, count):
        for i in range(count):
            yield i, {"image": np.full((8, 8, 1), i * 10, np.uint8), "label": i % 3}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tfds")
    config = tfds.download.DownloadConfig(try_download_gcs=False)
    KpipeTinyShapes(data_dir=str(path)).download_and_prepare(download_config=config)
    return str(path)


def test_loads_a_prepared_data_set(data_dir):
    examples = load_tfds(TfdsOptions(name="kpipe_tiny_shapes", data_dir=data_dir))
    assert examples.inputs.shape == (6, 8, 8, 1) and examples.inputs.dtype == np.uint8
    assert examples.class_names == ["circle", "square", "star"]
    assert np.bincount(examples.labels).tolist() == [2, 2, 2]
    assert ((examples.inputs[:, 0, 0, 0] // 10) % 3 == examples.labels).all()  # images keep their labels
    assert len(load_tfds(TfdsOptions(name="kpipe_tiny_shapes", data_dir=data_dir, split="test")).labels) == 3


def test_unknown_feature_is_a_clear_error(data_dir):
    with pytest.raises(ValueError, match="no feature 'img'"):
        load_tfds(TfdsOptions(name="kpipe_tiny_shapes", data_dir=data_dir, image_key="img"))


def test_unprepared_data_set_is_not_downloaded(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("download_and_prepare was called")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", refuse)
    with pytest.raises(ValueError) as caught:
        load_tfds(TfdsOptions(name="mnist", data_dir=str(tmp_path)))
    message = str(caught.value)
    assert "'mnist' is not in" in message and str(tmp_path) in message
    assert "download: true" in message and "tfds build mnist" in message


def test_unknown_name_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown data set 'no_such_set_xyz'"):
        load_tfds(TfdsOptions(name="no_such_set_xyz", data_dir=str(tmp_path)))
