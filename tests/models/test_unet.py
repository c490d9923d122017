"""Built-in `unet` backbone: full-resolution output, skip connections, size errors, training, export."""

import numpy as np
import pytest
import tensorflow as tf

import models.backbones.unet  # noqa: F401  (registers the backbone)
from models.backbones import build_backbone
from pipelines.registry import backbones
from pipelines.spec_loading import load_spec

TINY = {"filters": [4, 8], "blocks_per_level": 1}


def build(input_shape=(8, 8, 3), **overrides):
    component = backbones.get("builtin.unet")
    return component.build(component.options(**{**TINY, **overrides}), input_shape=input_shape)


def images(size=2, shape=(8, 8, 3)):
    return np.random.default_rng(0).random((size, *shape), dtype=np.float32)


@pytest.mark.parametrize("overrides", [
    {},
    {"upsampling": "bilinear", "use_batch_norm": False, "dropout": 0.1},
    {"filters": [4, 6, 8]},
    {"filters": [5]},
])
def test_per_pixel_features_at_full_resolution_with_one_skip_per_level(overrides):
    import keras

    model = build(**overrides)
    filters = overrides.get("filters", TINY["filters"])
    assert model.output.shape == (None, 8, 8, filters[0])
    assert np.asarray(model(images())).shape == (2, 8, 8, filters[0])
    concatenations = [layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate)]
    assert len(concatenations) == len(filters) - 1
    batch_norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bool(batch_norms) == overrides.get("use_batch_norm", True)


def test_builds_from_the_spec(tiny_spec):
    tiny_spec["model"]["backbone"] = {"source": "builtin", "name": "unet", "config": TINY}
    model = build_backbone(load_spec(tiny_spec).model.backbone, (8, 16, 1))
    assert model.output.shape == (None, 8, 16, 4)


@pytest.mark.parametrize("input_shape, message", [
    ((30, 32, 3), "divisible by 4, got 30x32; the nearest valid size is 32x32"),
    ((8, 3, 3), "divisible by 4, got 8x3; the nearest valid size is 8x4"),
    ((64, 3), r"input_shape=\(height, width, channels\)"),
])
def test_sizes_that_do_not_halve_cleanly_are_a_clear_error(input_shape, message):
    with pytest.raises(ValueError, match=message):
        build(input_shape, filters=[4, 8, 16])


def test_options_are_validated():
    from pydantic import ValidationError

    component = backbones.get("builtin.unet")
    with pytest.raises(ValidationError, match="'transpose' or 'bilinear'"):
        component.options(upsampling="nearest")
    with pytest.raises(ValidationError):
        component.options(filters=[])
    assert component.options().filters == [16, 32, 64]
    assert component.summary
    assert all(field.description for field in component.options.model_fields.values())


def test_a_tiny_segmenter_trains_a_step():
    import keras

    backbone = build()
    model = keras.Sequential([backbone, keras.layers.Conv2D(3, 1, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    masks = np.random.default_rng(1).integers(0, 3, (4, 8, 8))
    history = model.fit(images(4), masks, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_exports_with_export_archive(tmp_path):
    import keras

    model = build()
    inputs = images()
    expected = np.asarray(model(inputs, training=False))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda x: model(x, training=False),
                         input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32, name="images")])
    archive.write_out(str(tmp_path / "export"), verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_allclose(reloaded.serve(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
