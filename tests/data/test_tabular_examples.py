"""Examples of kind "columns" through the data layer: checks, subset, split, fingerprint, tf.data, sklearn tables."""

import numpy as np
import pytest
import tensorflow as tf

from data.dataset import _decoded
from data.examples import Examples
from data.fingerprint import fingerprint
from data.sources.sklearn import SklearnOptions, load_sklearn
from data.split import split_examples

TYPES = {"n": "numeric", "c": "categorical"}


def _table(count=20, labels=None, class_names=None):
    inputs = {"n": np.arange(count, dtype="float32"), "c": np.array([f"v{i % 3}" for i in range(count)], object)}
    labels = np.arange(count) * 0.5 if labels is None else labels
    return Examples(inputs, labels, class_names or [], columns=dict(TYPES), origin="t")


def test_dict_inputs_are_columns_with_raw_targets():
    examples = _table(4)
    assert examples.kind == "columns" and examples.size == 4 and examples.input_shape == ()
    assert examples.labels.dtype == np.float64 and examples.class_names == [] and examples.num_classes == 0
    assert examples.inputs["n"].dtype == np.float32 and examples.inputs["c"].dtype == object
    strings = Examples({"c": ["a", "b"]}, np.array(["yes", "no"]), columns={"c": "categorical"})
    assert strings.inputs["c"].dtype == object and type(strings.inputs["c"][0]) is str
    assert strings.labels.dtype == object and strings.labels.tolist() == ["yes", "no"]
    assert Examples({"c": ["a"]}, np.array([True]), columns={"c": "text"}).labels.tolist() == ["true"]
    integers = Examples({"c": ["a", "b"]}, np.array([3, 4]), columns={"c": "categorical"})
    assert integers.labels.dtype == np.float64  # raw numbers stay numbers: no int64 cast


def test_class_names_make_labels_class_ids():
    examples = _table(4, labels=[1, 0, 1, 0], class_names=["a", "b"])
    assert examples.labels.dtype == np.int64 and examples.num_classes == 2


def test_columns_are_checked():
    with pytest.raises(ValueError, match="type of each input column exactly"):
        Examples({"n": [1.0]}, [0.0])
    with pytest.raises(ValueError, match="type of each input column exactly"):
        Examples({"n": [1.0]}, [0.0], columns={"n": "numeric", "m": "numeric"})
    with pytest.raises(ValueError, match="column 'c' has 1 rows but column 'n' has 2"):
        Examples({"n": [1.0, 2.0], "c": ["a"]}, [0.0, 1.0], columns=dict(TYPES))
    with pytest.raises(ValueError, match="2 inputs but 3 labels"):
        Examples({"n": [1.0, 2.0]}, [0.0, 1.0, 2.0], columns={"n": "numeric"})
    with pytest.raises(ValueError, match="type must be one of"):
        Examples({"n": [1.0]}, [0.0], columns={"n": "float"})
    with pytest.raises(ValueError, match="must be 1-D"):
        Examples({"n": [[1.0]]}, [0.0], columns={"n": "numeric"})
    with pytest.raises(ValueError, match="at least one column"):
        Examples({}, [], columns={})
    with pytest.raises(ValueError, match="dict of columns"):
        Examples(np.zeros((2, 2), "float32"), [0, 1], ["a", "b"], kind="columns")


def test_subset_keeps_columns_and_types():
    part = _table(6).subset(np.array([4, 1]))
    assert part.kind == "columns" and part.columns == TYPES and part.origin == "t"
    assert part.inputs["n"].tolist() == [4.0, 1.0] and part.inputs["c"].tolist() == ["v1", "v1"]
    assert part.labels.tolist() == [2.0, 0.5]
    assert _table(6).subset(np.array([], "int64")).size == 0


def test_raw_targets_split_at_random_and_class_ids_stratified():
    examples = _table(20)
    train, validation, test = split_examples(examples, validation=0.2, test=0.1, seed=0)  # stratify asked, ignored
    assert (train.size, validation.size, test.size) == (14, 4, 2)
    rows = sorted(train.inputs["n"].tolist() + validation.inputs["n"].tolist() + test.inputs["n"].tolist())
    assert rows == list(range(20)) and train.columns == TYPES
    assert (train.labels == train.inputs["n"] * 0.5).all()
    names = _table(20, labels=np.arange(20) % 2, class_names=["a", "b"])
    for part in split_examples(names, validation=0.2, test=0.2, seed=0):
        assert np.mean(part.labels) == pytest.approx(0.5)
    strings = _table(20, labels=np.array(["x"] * 19 + ["y"], object))  # one "y": stratifying would fail
    assert sum(p.size for p in split_examples(strings, validation=0.2, test=0.2, seed=0)) == 20


def test_fingerprint_of_columns_covers_names_types_values_and_targets():
    base = fingerprint(_table())
    assert fingerprint(_table()) == base
    reordered = Examples({"c": _table().inputs["c"], "n": _table().inputs["n"]}, np.arange(20) * 0.5,
                         columns={"c": "categorical", "n": "numeric"})
    assert fingerprint(reordered) == base  # column order does not count
    changed = _table()
    changed.inputs["c"][3] = "other"
    assert fingerprint(changed) != base
    assert fingerprint(_table(labels=np.arange(20) * 0.25)) != base  # float targets are not cast to int
    retyped = _table()
    retyped.columns["c"] = "text"
    assert fingerprint(retyped) != base
    with_nan = _table()
    with_nan.inputs["n"][0] = np.nan
    again = _table()
    again.inputs["n"][0] = -np.float32("nan")
    assert fingerprint(with_nan) == fingerprint(again)
    strings = _table(labels=np.array(["a"] * 20, object))
    assert fingerprint(strings) != fingerprint(_table(labels=np.array(["b"] * 20, object)))


def test_decoded_dataset_gives_column_dicts_and_typed_labels():
    features, label = next(iter(_decoded(_table(3)).batch(3)))
    assert set(features) == {"n", "c"} and features["n"].dtype == tf.float32 and features["c"].dtype == tf.string
    assert features["c"].numpy().tolist() == [b"v0", b"v1", b"v2"]
    assert label.dtype == tf.float32 and label.numpy().tolist() == [0.0, 0.5, 1.0]
    _, ids = next(iter(_decoded(_table(3, labels=[0, 1, 0], class_names=["a", "b"])).batch(3)))
    assert ids.dtype == tf.int64


@pytest.mark.parametrize(
    "name, count, columns, first",
    [("iris", 150, 4, "setosa"), ("wine", 178, 13, "class_0"), ("breast_cancer", 569, 30, "malignant")],
)
def test_sklearn_classification_tables_give_columns_and_class_name_targets(name, count, columns, first):
    examples = load_sklearn(SklearnOptions(name=name))
    assert examples.kind == "columns" and examples.size == count and len(examples.columns) == columns
    assert set(examples.columns.values()) == {"numeric"} and examples.class_names == []
    assert all(column.isidentifier() for column in examples.columns)
    assert examples.labels.dtype == object and examples.labels[0] == first
    assert all(values.dtype == np.float32 for values in examples.inputs.values())


def test_sklearn_iris_and_diabetes_columns():
    iris = load_sklearn(SklearnOptions(name="iris"))
    assert list(iris.columns) == ["sepal_length__cm_", "sepal_width__cm_", "petal_length__cm_", "petal_width__cm_"]
    assert sorted(set(iris.labels.tolist())) == ["setosa", "versicolor", "virginica"]
    diabetes = load_sklearn(SklearnOptions(name="diabetes"))
    assert diabetes.kind == "columns" and diabetes.size == 442 and "bmi" in diabetes.columns
    assert diabetes.labels.dtype == np.float64 and diabetes.labels[0] == 151.0
