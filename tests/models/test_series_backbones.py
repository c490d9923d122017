"""Built-in time-series backbones (lstm, gru, tcn, patch_transformer, fcn, resnet1d, inception_time).

Shapes for fixed and variable length, the same vector for a series padded with
NaN or not, no NaN out, training, saving, and clear errors.
"""

import numpy as np
import pytest

import pipelines.components  # noqa: F401  (registers the backbones)
from pipelines.registry import backbones

TINY = {
    "lstm": ({"units": 4, "num_layers": 2, "dropout": 0.1}, 4),
    "gru": ({"units": 4, "num_layers": 2, "bidirectional": True, "pooling": "mean"}, 8),
    "tcn": ({"filters": 4, "dilations": [1, 2, 4], "pooling": "last"}, 4),
    "patch_transformer": ({"patch_length": 4, "stride": 3, "hidden_dim": 8, "num_heads": 2, "intermediate_dim": 8,
                           "num_layers": 2, "max_length": 64}, 8),  # times the features (channel independent)
    "fcn": ({"filters": [4, 8, 4], "kernel_sizes": [8, 5, 3]}, 4),
    "resnet1d": ({"filters": [4, 8], "kernel_sizes": [8, 5, 3]}, 8),
    "inception_time": ({"filters": 2, "bottleneck": 2, "kernel_sizes": [9, 5, 3], "depth": 3, "residual_every": 3},
                       8),
}
SERIES = list(TINY)
PER_FEATURE = {"patch_transformer"}


def build(name, input_shape, **overrides):
    component = backbones.get(f"builtin.{name}")
    return component.build(component.options(**{**TINY[name][0], **overrides}), input_shape=input_shape)


def width(name, features):
    return TINY[name][1] * (features if name in PER_FEATURE else 1)


def padded_batch(rng, size, steps, features, lengths):
    """Random series, row i padded with NaN after `lengths[i]` steps."""
    series = rng.normal(size=(size, steps, features)).astype("float32")
    for row, length in enumerate(lengths):
        series[row, length:] = np.nan
    return series


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("name", SERIES)
@pytest.mark.parametrize("input_shape", [(32, 3), (None, 2)])
def test_builds_and_pools_to_one_vector(name, input_shape, rng):
    model = build(name, input_shape)
    assert model.input.shape == (None, *input_shape) and model.input.dtype == "float32"
    assert model.output.shape == (None, width(name, input_shape[1]))
    series = padded_batch(rng, 3, input_shape[0] or 20, input_shape[1], lengths=[32, 5, 0])
    outputs = np.asarray(model(series))
    assert outputs.shape == (3, width(name, input_shape[1])) and outputs.dtype == np.float32
    assert np.all(np.isfinite(outputs)), "padding (even a series that is all padding) must not give NaN"


@pytest.mark.parametrize("name", SERIES)
def test_padding_never_changes_a_series_vector(name, rng):
    model = build(name, (None, 2))
    series = padded_batch(rng, 3, 24, 2, lengths=[24, 11, 17])
    together = np.asarray(model(series))
    for row, length in enumerate([24, 11, 17]):
        alone = np.asarray(model(series[row:row + 1, :length]))
        np.testing.assert_allclose(together[row], alone[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", SERIES)
def test_trains_on_padded_series(name, rng):
    import keras

    keras.utils.set_random_seed(0)
    backbone = build(name, (16, 2))
    model = keras.Sequential([backbone, keras.layers.Dense(1)])
    lengths = rng.integers(4, 17, 32)
    series = padded_batch(rng, 32, 16, 2, lengths)
    target = np.nanmean(series[..., 0], axis=1, keepdims=True)  # the mean of the first feature's real steps
    model.compile(keras.optimizers.Adam(0.01), "mse", jit_compile=False)
    before = model.evaluate(series, target, verbose=0)
    history = model.fit(series, target, batch_size=16, epochs=4, shuffle=False, verbose=0)
    after = model.evaluate(series, target, verbose=0)
    assert np.all(np.isfinite(history.history["loss"])) and after < before
    assert all(np.all(np.isfinite(weight)) for weight in model.get_weights())


@pytest.mark.parametrize("name", ["patch_transformer", "inception_time", "gru"])
def test_saves_and_loads(name, rng, tmp_path):
    import keras

    model = build(name, (32, 3))
    series = padded_batch(rng, 2, 32, 3, lengths=[32, 9])
    model.save(tmp_path / "backbone.keras")
    reloaded = keras.saving.load_model(tmp_path / "backbone.keras")
    np.testing.assert_allclose(np.asarray(reloaded(series)), np.asarray(model(series)), rtol=1e-6, atol=1e-6)


def test_patch_transformer_channel_mixing_pools_one_vector(rng):
    model = build("patch_transformer", (None, 3), channel_independent=False)
    assert model.output.shape == (None, 8)
    series = padded_batch(rng, 2, 20, 3, lengths=[20, 7])
    np.testing.assert_allclose(np.asarray(model(series))[1], np.asarray(model(series[1:, :7]))[0],
                               rtol=1e-5, atol=1e-5)


def test_options_are_documented_and_validated():
    from pydantic import ValidationError

    for name in SERIES:
        component = backbones.get(f"builtin.{name}")
        assert component.summary
        assert all(field.description for field in component.options.model_fields.values())
    with pytest.raises(ValidationError, match="may not exceed patch_length"):
        backbones.get("builtin.patch_transformer").options(patch_length=4, stride=5)
    with pytest.raises(ValidationError, match="one size per block"):
        backbones.get("builtin.fcn").options(filters=[8, 8], kernel_sizes=[3])
    with pytest.raises(ValidationError):
        backbones.get("builtin.tcn").options(pooling="max")


@pytest.mark.parametrize("input_shape", [(8,), (8, 8, 1), (0, 2), (8, None)])
def test_series_backbones_need_steps_and_features(input_shape):
    component = backbones.get("builtin.fcn")
    with pytest.raises(ValueError, match=r"input_shape=\(steps, features\)"):
        component.build(component.options(), input_shape=input_shape)
