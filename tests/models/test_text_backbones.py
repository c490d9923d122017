"""Built-in text backbones (bilstm, gru, cnn1d, transformer_encoder): shapes, padding, tf.data training, export."""

import numpy as np
import pytest
import tensorflow as tf

import models.backbones.bilstm
import models.backbones.cnn1d
import models.backbones.gru
import models.backbones.transformer_encoder  # noqa: F401  (registers the backbones)
from pipelines.registry import backbones

VOCABULARY, LENGTH = 50, 8
TINY = {
    "bilstm": ({"embedding_dim": 8, "units": 4, "num_layers": 2, "dropout": 0.1}, 8),
    "gru": ({"embedding_dim": 8, "units": 4, "num_layers": 2, "bidirectional": False, "dropout": 0.1}, 4),
    "cnn1d": ({"embedding_dim": 8, "filters": [8, 6], "kernel_size": 3, "dropout": 0.1}, 6),
    "transformer_encoder": ({"hidden_dim": 8, "num_layers": 2, "num_heads": 2, "intermediate_dim": 16,
                             "dropout": 0.1}, 8),
}


def build(name, sequence_length=LENGTH, **overrides):
    component = backbones.get(f"builtin.{name}")
    options = component.options(**{**TINY[name][0], **overrides})
    return component.build(options, input_shape=(sequence_length,), vocabulary_size=VOCABULARY)


def batch(rng, size=4, length=LENGTH):
    """Random token ids, each row with 1..length real tokens then padding (id 0)."""
    lengths = rng.integers(1, length + 1, size)
    mask = np.arange(length)[None, :] < lengths[:, None]
    token_ids = np.where(mask, rng.integers(1, VOCABULARY, (size, length)), 0).astype("int32")
    return {"token_ids": token_ids, "padding_mask": mask}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("name", TINY)
def test_inputs_and_per_token_output(name, rng):
    model = build(name)
    assert {key: (tensor.shape, tensor.dtype) for key, tensor in model.input.items()} == {
        "token_ids": ((None, LENGTH), "int32"), "padding_mask": ((None, LENGTH), "bool"),
    }
    assert model.output.shape == (None, LENGTH, TINY[name][1])
    inputs = batch(rng)
    outputs = np.asarray(model(inputs))
    assert outputs.shape == (4, LENGTH, TINY[name][1]) and outputs.dtype == np.float32
    assert np.all(outputs[~inputs["padding_mask"]] == 0)
    assert model.get_layer("token_embedding" if name != "transformer_encoder" else "embeddings")


@pytest.mark.parametrize("name", TINY)
def test_padding_never_changes_the_real_tokens_outputs(name, rng):
    model = build(name)
    inputs = batch(rng)
    inputs["padding_mask"][0] = np.arange(LENGTH) < 3
    garbage = dict(inputs, token_ids=np.where(inputs["padding_mask"], inputs["token_ids"],
                                              rng.integers(0, VOCABULARY, inputs["token_ids"].shape)).astype("int32"))
    mask = inputs["padding_mask"]
    np.testing.assert_array_equal(np.asarray(model(inputs))[mask], np.asarray(model(garbage))[mask])

    # Same weights without the extra padding: a model as long as the first row's 3 tokens.
    length = 3
    short = build(name, sequence_length=length)
    short.set_weights([w[:length] if w.shape != s.shape else w  # position embeddings: first `length` rows
                       for w, s in zip(model.get_weights(), short.get_weights())])
    unpadded = {"token_ids": inputs["token_ids"][:1, :length], "padding_mask": mask[:1, :length]}
    np.testing.assert_allclose(np.asarray(short(unpadded))[0], np.asarray(model(inputs))[0, :length],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", TINY)
def test_trains_from_a_tf_data_pipeline(name, rng):
    import keras

    backbone = build(name)
    features = batch(rng, size=16)
    labels = (features["token_ids"][:, 0] % 2).astype("int32")
    pooled = keras.layers.GlobalAveragePooling1D()(backbone.output, mask=backbone.input["padding_mask"])
    model = keras.Model(backbone.input, keras.layers.Dense(2)(pooled))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(8).repeat()
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("name", ["gru", "transformer_encoder"])
def test_exports_with_export_archive(name, rng, tmp_path):
    import keras

    model = build(name)
    inputs = batch(rng)
    expected = np.asarray(model(inputs))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda features: model(features, training=False), input_signature=[{
        "token_ids": tf.TensorSpec([None, LENGTH], tf.int32, name="token_ids"),
        "padding_mask": tf.TensorSpec([None, LENGTH], tf.bool, name="padding_mask"),
    }])
    archive.write_out(str(tmp_path / "export"), verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_allclose(reloaded.serve(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_options_are_validated_with_clear_errors():
    from pydantic import ValidationError

    options = backbones.get("builtin.transformer_encoder").options
    with pytest.raises(ValidationError, match="multiple of num_heads"):
        options(hidden_dim=10, num_heads=4)
    with pytest.raises(ValidationError, match="extra"):
        backbones.get("builtin.bilstm").options(unit=4)
    with pytest.raises(ValidationError):
        backbones.get("builtin.cnn1d").options(filters=[])
    for name in TINY:
        component = backbones.get(f"builtin.{name}")
        assert component.summary
        assert all(field.description for field in component.options.model_fields.values())


def test_a_text_backbone_needs_token_ids_and_a_vocabulary_size():
    component = backbones.get("builtin.gru")
    with pytest.raises(ValueError, match=r"input_shape=\(sequence_length,\)"):
        component.build(component.options(), input_shape=(8, 8, 1), vocabulary_size=VOCABULARY)
    with pytest.raises(ValueError, match="vocabulary_size"):
        component.build(component.options(), input_shape=(LENGTH,))
