"""data.tabular.layers and feature_space: column encoders, and a FeatureSpace in a model that saves and exports."""

import datetime

import keras
import numpy as np
import pytest
import tensorflow as tf

from data.tabular.feature_space import (
    ColumnFeatureSpace,
    adapt_feature_space,
    build_feature_space,
    column_inputs,
    encode_columns,
)
from data.tabular.layers import (
    DATETIME_PARTS,
    BooleanFlag,
    CategoryOneHot,
    DatetimeParts,
    ImputedNumeric,
    days_from_civil,
    parse_dates,
)


def _strings(values):
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _round_trip(layer):
    return type(layer).from_config(layer.get_config())


# ---------------------------------------------------------------- layers


def test_imputed_numeric_learns_from_finite_values_and_flags_missing_ones():
    layer = ImputedNumeric()
    layer.adapt(tf.data.Dataset.from_tensor_slices(np.array([1, 3, np.nan, np.inf, 5], "float32")).batch(2))
    assert layer.mean == pytest.approx(3.0) and layer.std == pytest.approx(np.std([1, 3, 5]))
    out = layer(np.array([[3.0], [np.nan], [-np.inf], [5.0]], "float32")).numpy()
    assert out.shape == (4, 2) and out[:, 1].tolist() == [0, 1, 1, 0]
    assert out[[0, 1, 2], 0].tolist() == [0, 0, 0] and out[3, 0] == pytest.approx(2 / np.std([1, 3, 5]))
    assert layer(np.array([3.0], "float32")).shape == (1, 2)  # [batch] works too
    constant = ImputedNumeric()
    constant.adapt(np.array([7, 7], "float32"))
    assert (constant.mean, constant.std) == (7.0, 1.0)
    empty = ImputedNumeric()
    empty.adapt(np.array([np.nan], "float32"))
    assert (empty.mean, empty.std) == (0.0, 1.0)
    reloaded = _round_trip(layer)
    assert (reloaded.mean, reloaded.std) == (layer.mean, layer.std)


def test_parse_dates_reads_iso_forms_and_rejects_the_rest():
    good = ["2024-01-05", "2024-1-5", "2024-01-05 10:20", "2024-01-05T10:20:30", "2024-01-05 10:20:30.250Z",
            " 2024-02-29 "]
    bad = ["", "soon", "2024/01/05", "05-01-2024", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
           "2024-01-05 24:00", "2024-01-05 10:60", "2024-01-05T", "2024-01-05 10:20+02:00", "20240105", "9" * 40]
    fields, valid = parse_dates(tf.constant(good + bad))
    assert valid.numpy().tolist() == [True] * len(good) + [False] * len(bad)
    assert fields.numpy()[3].tolist() == [2024, 1, 5, 10, 20, 30]
    assert fields.numpy()[2].tolist() == [2024, 1, 5, 10, 20, 0]
    assert (fields.numpy()[len(good):] == [1970, 1, 1, 0, 0, 0]).all()


def test_days_from_civil_and_weekdays_match_python():
    rng = np.random.default_rng(0)
    days = rng.integers(datetime.date(1, 1, 1).toordinal(), datetime.date(9999, 12, 31).toordinal(), 2000)
    dates = [datetime.date.fromordinal(int(d)) for d in days]
    ours = days_from_civil(tf.constant([d.year for d in dates]), tf.constant([d.month for d in dates]),
                           tf.constant([d.day for d in dates])).numpy()
    epoch = datetime.date(1970, 1, 1).toordinal()
    assert ours.tolist() == [d.toordinal() - epoch for d in dates]
    parts = DatetimeParts()(_strings([d.isoformat() for d in dates])).numpy()
    angles = np.arctan2(parts[:, 3], parts[:, 4]) % (2 * np.pi)
    assert np.round(angles / (2 * np.pi) * 7).astype(int) % 7 == pytest.approx([d.weekday() for d in dates])


def test_datetime_parts_standardize_years_and_zero_missing_dates():
    layer = DatetimeParts()
    layer.adapt(_strings(["2020-01-01", "2022-06-01 12:00", "", "garbage"]))
    assert layer.year_mean == 2021.0 and layer.year_std == 1.0
    out = layer(_strings(["2022-07-04 18:30", "", "31/12/2022"])[:, None]).numpy()
    assert out.shape == (3, len(DATETIME_PARTS)) and DATETIME_PARTS[-1] == "missing"
    assert out[0, 0] == pytest.approx(1.0) and out[0, -1] == 0.0
    hour = np.arctan2(out[0, 7], out[0, 8]) % (2 * np.pi) / (2 * np.pi) * 24
    assert hour == pytest.approx(18.5, abs=1e-4)
    assert out[1].tolist() == out[2].tolist() == [0.0] * 9 + [1.0]
    assert _round_trip(layer).year_mean == 2021.0


def test_boolean_flag_reads_common_spellings():
    out = BooleanFlag()(_strings(["true", "Yes", " Y", "1", "T", "false", "NO", "n", "0", "f", "", "maybe"])).numpy()
    assert out[:, 0].tolist() == [1] * 5 + [0] * 7
    assert out[:, 1].tolist() == [0] * 10 + [1, 1]


def test_category_one_hot_vocabulary_unseen_values_and_hashing():
    layer = CategoryOneHot()
    layer.adapt(tf.data.Dataset.from_tensor_slices(_strings(["b", "a", "b", "", "[UNK]"])).batch(2))
    assert layer.vocabulary == ["b", "", "a"] and layer.depth == 4  # the OOV token itself reads as unseen
    out = layer(_strings(["a", "", "zzz", "[UNK]"])).numpy()
    assert out.argmax(-1).tolist() == [3, 2, 0, 0] and out.sum(-1).tolist() == [1, 1, 1, 1]
    reloaded = _round_trip(layer)
    assert (reloaded(_strings(["a", "", "zzz"])).numpy() == out[:3]).all()
    with pytest.raises(RuntimeError, match="adapt the layer before"):
        layer.adapt(_strings(["c"]))
    hashed = CategoryOneHot(hash_bins=4)
    hashed.adapt(_strings(["ignored"]))
    first = hashed(_strings(["x", "y", "x"])).numpy()
    assert first.shape == (3, 4) and (first[0] == first[2]).all()
    assert (_round_trip(hashed)(_strings(["x"])).numpy() == first[:1]).all()
    with pytest.raises(ValueError, match="adapt the layer"):
        CategoryOneHot()(_strings(["x"]))


# ---------------------------------------------------------------- feature space


def _train(count=60):
    rng = np.random.default_rng(1)
    age = rng.normal(40, 10, count).astype("float32")
    age[:4] = np.nan
    return {
        "age": age,
        "city": _strings(rng.choice(["Oslo", "Rome", ""], count)),
        "zip": _strings([str(i) for i in rng.integers(0, 10_000, count)]),
        "ok": _strings(rng.choice(["true", "false", ""], count)),
        "when": _strings(rng.choice(["2024-01-05 10:00:00", "2023-06-01 00:00:00", ""], count)),
        "note": _strings(rng.choice(["a fine long note", "bad things happen here", ""], count)),
    }


TYPES = {"age": "numeric", "city": "categorical", "zip": "categorical", "ok": "boolean", "when": "datetime",
         "note": "text"}
ROWS = {  # missing values, an unseen category, unseen words and bad dates
    "age": np.array([np.nan, 30.0, np.inf], "float32"),
    "city": _strings(["", "Paris", "Oslo"]),
    "zip": _strings(["", "99999", "5"]),
    "ok": _strings(["", "YES", "no"]),
    "when": _strings(["not a date", "2024-02-30", "2024-01-05T10:00"]),
    "note": _strings(["", "never seen words", "a fine"]),
}


def test_build_feature_space_picks_a_layer_per_type_and_hashes_many_values():
    train = _train()
    space = build_feature_space(TYPES, train, hash_above=20, hash_bins=8, text_max_tokens=16)
    assert isinstance(space, ColumnFeatureSpace) and isinstance(space, keras.utils.FeatureSpace)
    kinds = {name: type(layer).__name__ for name, layer in space.preprocessors.items()}
    assert kinds == {"age": "ImputedNumeric", "city": "CategoryOneHot", "zip": "CategoryOneHot",
                     "ok": "BooleanFlag", "when": "DatetimeParts", "note": "TextVectorization"}
    assert space.preprocessors["zip"].hash_bins == 8 and space.preprocessors["city"].hash_bins is None
    with pytest.raises(ValueError, match="type must be one of"):
        build_feature_space({"x": "integer"}, {})
    with pytest.raises(ValueError, match="no training column for the categorical column 'c'"):
        build_feature_space({"c": "categorical"}, {})


def test_adapted_feature_space_encodes_each_column_as_one_vector():
    train = _train()
    space = build_feature_space(TYPES, train, hash_above=20, hash_bins=8, text_max_tokens=16)
    with pytest.raises(ValueError, match="no training column for 'note'"):
        adapt_feature_space(space, {k: v for k, v in train.items() if k != "note"})
    adapt_feature_space(space, train)
    assert space.preprocessors["city"].vocabulary is not None and space.preprocessors["age"].mean > 0
    encoded = space(ROWS)
    widths = {name: tuple(value.shape) for name, value in encoded.items()}
    assert widths == {"age": (3, 2), "city": (3, 4), "zip": (3, 8), "ok": (3, 2), "when": (3, 10),
                      "note": (3, space.preprocessors["note"].vocabulary_size())}
    assert all(value.dtype == tf.float32 for value in encoded.values())
    assert encoded["city"].numpy()[1, 0] == 1.0  # "Paris": the unseen slot
    assert encoded["when"].numpy()[:2, -1].tolist() == [1.0, 1.0]
    as_columns = space({name: values[:, None] for name, values in ROWS.items()})  # [batch, 1] as well
    assert all((as_columns[name].numpy() == encoded[name].numpy()).all() for name in TYPES)
    with pytest.raises(ValueError, match="feature space encodes"):
        encode_columns(space, {"age": ROWS["age"]})


@pytest.mark.parametrize("shape", [(), (1,)])
def test_feature_space_in_a_functional_model_saves_reloads_and_exports(shape, tmp_path):
    train = _train()
    space = build_feature_space(TYPES, train, hash_above=20, hash_bins=8, text_max_tokens=16)
    adapt_feature_space(space, train)
    if shape == ():
        inputs = column_inputs(TYPES)
    else:
        inputs = {name: keras.Input(shape=shape, dtype="float32" if kind == "numeric" else "string", name=name)
                  for name, kind in TYPES.items()}
    encoded = space(inputs)
    x = keras.layers.Concatenate()([encoded[name] for name in sorted(encoded)])
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8, "relu")(x)))
    model.compile("adam", "sparse_categorical_crossentropy")
    labels = np.random.default_rng(0).integers(0, 3, 60)
    model.fit(tf.data.Dataset.from_tensor_slices((train, labels)).batch(16), epochs=1, verbose=0)

    expected = model.predict(ROWS, verbose=0)
    assert np.isfinite(expected).all()

    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(reloaded.predict(ROWS, verbose=0), expected, rtol=1e-6, atol=1e-6)

    archive = keras.export.ExportArchive()
    archive.track(model)
    signature = {name: tf.TensorSpec([None], tf.float32 if kind == "numeric" else tf.string, name=name)
                 for name, kind in TYPES.items()}
    archive.add_endpoint("serve", lambda columns: {"probabilities": model(columns, training=False)}, [signature])
    archive.write_out(str(tmp_path / "saved"), verbose=False)
    serve = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    served = serve(**{name: tf.constant(values) for name, values in ROWS.items()})["probabilities"].numpy()
    np.testing.assert_allclose(served, expected, rtol=1e-6, atol=1e-6)
