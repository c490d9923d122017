"""Tabular backbones (builtin mlp over a FeatureSpace dict, builtin ft_transformer): shapes, learning, saving."""

import keras
import numpy as np
import pytest
from pydantic import ValidationError

import pipelines.components  # noqa: F401  (fills the registries)
from models.backbones.ft_transformer import FtTransformerOptions, ft_transformer
from models.backbones.mlp import MlpOptions, mlp
from pipelines import registry

TABLE = {"a": (2,), "b": (5,)}
TINY_FT = {"d_token": 8, "heads": 2, "blocks": 2}


def table_batch(rows=8, seed=0):
    """Random encoded columns like a FeatureSpace dict: `a` numeric (value, missing flag), `b` a one-hot."""
    rng = np.random.default_rng(seed)
    return {"a": np.stack([rng.normal(size=rows), np.zeros(rows)], axis=1).astype("float32"),
            "b": np.eye(5, dtype="float32")[rng.integers(0, 5, size=rows)]}


def build(name, config, input_shape=TABLE):
    component = registry.backbones.get(f"builtin.{name}")
    return component.build(component.options(**config), input_shape=input_shape)


BACKBONES = [
    pytest.param("mlp", {"units": [16, 8]}, 8, id="mlp"),
    pytest.param("mlp", {"units": [16, 16, 8], "residual": True, "batch_norm": True, "dropout": 0.1}, 8,
                 id="resnet_mlp"),
    pytest.param("ft_transformer", TINY_FT, 8, id="ft_transformer"),
]


@pytest.mark.parametrize("name, config, hidden", BACKBONES)
def test_a_table_backbone_takes_the_feature_dict_and_returns_one_vector(name, config, hidden):
    backbone = build(name, config)
    assert backbone.output.shape == (None, hidden)
    assert set(backbone.input) == {"a", "b"}
    assert backbone(table_batch(rows=3)).shape == (3, hidden)


def test_input_names_are_sanitized_but_the_dict_keeps_the_column_names():
    backbone = build("ft_transformer", TINY_FT, {"home town/zip": (3,), "2nd": (2,), "home_town_zip": (1,)})
    assert {key: tensor.name for key, tensor in backbone.input.items()} == {
        "home town/zip": "home_town_zip_1", "2nd": "column_2nd", "home_town_zip": "home_town_zip"}
    batch = {"home town/zip": np.ones((2, 3), "float32"), "2nd": np.ones((2, 2), "float32"),
             "home_town_zip": np.ones((2, 1), "float32")}
    assert backbone(batch).shape == (2, 8)


def test_the_resnet_mlp_projects_only_where_the_width_changes():
    layers = {layer.name for layer in build("mlp", {"units": [16, 16, 8], "residual": True}).layers}
    assert {"block1_add", "block2_add", "block2_projection", "output_activation"} <= layers
    assert "block1_projection" not in layers


def test_ft_transformer_needs_a_table():
    with pytest.raises(ValueError, match="model.backbone: ft_transformer needs a table: a tabular task"):
        ft_transformer(FtTransformerOptions(**TINY_FT), input_shape=(7,))
    with pytest.raises(ValidationError, match="multiple of heads"):
        FtTransformerOptions(d_token=10, heads=4)


@pytest.mark.parametrize("name, config, hidden", BACKBONES)
def test_a_table_backbone_learns_a_simple_target(name, config, hidden):
    keras.utils.set_random_seed(1)
    x = table_batch(rows=256, seed=1)
    y = 2 * x["a"][:, :1] - x["b"] @ np.arange(5, dtype="float32")[:, None] / 2
    inputs = {key: keras.Input(shape, name=key) for key, shape in TABLE.items()}
    model = keras.Model(inputs, keras.layers.Dense(1)(build(name, config)(inputs)))
    model.compile(keras.optimizers.Adam(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before


@pytest.mark.parametrize("name, config, hidden", BACKBONES)
def test_a_saved_table_backbone_loads_with_the_same_outputs(name, config, hidden, tmp_path):
    backbone = build(name, config)
    batch = table_batch(rows=4)
    backbone.save(tmp_path / "backbone.keras")
    loaded = keras.saving.load_model(tmp_path / "backbone.keras")
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), backbone.predict(batch, verbose=0), atol=1e-6)


@pytest.mark.parametrize("input_shape, config, layers, hidden", [
    ((4,), {}, [("dense0", "Dense"), ("dense1", "Dense")], 64),
    ((4,), {"units": [5, 3], "dropout": 0.2},
     [("dense0", "Dense"), ("dropout0", "Dropout"), ("dense1", "Dense"), ("dropout1", "Dropout")], 3),
    ((8, 8, 1), {"units": [5]}, [("Flatten",), ("dense0", "Dense")], 5),
])
def test_the_mlp_on_a_tuple_shape_is_unchanged(input_shape, config, layers, hidden):
    backbone = mlp(MlpOptions(**config), input_shape=input_shape)
    found = [(type(layer).__name__,) if isinstance(layer, keras.layers.Flatten) else (layer.name, type(layer).__name__)
             for layer in backbone.layers[1:]]
    assert found == layers
    assert backbone.output.shape == (None, hidden)
    assert all(layer.activation is keras.activations.relu for layer in backbone.layers if hasattr(layer, "units"))
    assert MlpOptions().model_dump() == {"units": [128, 64], "activation": "relu", "dropout": 0.0,
                                         "residual": False, "batch_norm": False}
