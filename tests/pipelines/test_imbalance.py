"""`training.class_weight: auto`: balanced weights and a macro-F1 monitor when the training split is imbalanced.

Unset, the task decides: text classification weighs with `auto`, the other classifiers weigh nothing.
"""

import numpy as np
import pytest

from data.examples import Examples
from pipelines import registry
from pipelines.callbacks.context import CallbackContext
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from pipelines.training import spec_callbacks
from tests.helpers import REPO

SKEWED = np.array([0] * 90 + [1] * 10)
EVEN = np.array([0] * 60 + [1] * 40)


def _weighed(spec, labels, class_names=("a", "b")):
    """The task built from `spec`, prepared on `labels`, and the class weights it gives `fit`."""
    task = registry.tasks.get(spec.task).build(spec)
    examples = Examples(np.zeros((len(labels), 8, 8, 1), "uint8"), labels, list(class_names))
    task.prepare(examples, examples)
    return task, task.class_weight(examples)


def test_unset_is_the_tasks_default_auto_for_text_none_for_images(tiny_spec):
    assert load_spec(tiny_spec).training.class_weight is None
    assert _weighed(load_spec(tiny_spec), SKEWED)[1] is None  # image classification: none
    text = registry.tasks.get("text_classification").build
    assert text.default_class_weight == "auto"


def test_auto_weighs_a_nine_to_one_split_and_watches_macro_f1(tiny_spec, tmp_path):
    tiny_spec["training"]["class_weight"] = "auto"
    task, weights = _weighed(load_spec(tiny_spec), SKEWED)
    assert weights == {0: pytest.approx(100 / 180), 1: pytest.approx(5.0)}
    assert task.weights_note == "class weights: balanced (largest class 9.0x the smallest; training.class_weight: auto)"
    assert task.monitor() == ("val_f1_macro", "max")
    assert [getattr(m, "name", m) for m in task.keras_metrics()] == ["accuracy", "f1_macro"]
    tiny_spec["training"]["callbacks"] = ["early_stopping", "model_checkpoint", {"early_stopping": {"monitor": "val_loss"}}]
    callbacks = spec_callbacks(load_spec(tiny_spec), CallbackContext(tmp_path, False, *task.monitor()))
    assert [c.monitor for c in callbacks] == ["val_f1_macro", "val_f1_macro", "val_loss"]  # a named monitor stays


def test_auto_stays_off_for_a_balanced_split(tiny_spec):
    tiny_spec["training"]["class_weight"] = "auto"
    task, weights = _weighed(load_spec(tiny_spec), EVEN)
    assert weights is None and task.weights_note is None
    assert task.monitor() == ("val_accuracy", "max") and task.keras_metrics() == ["accuracy"]


def test_none_balanced_and_given_weights(tiny_spec):
    for off in ("none", None):  # unset: image classification's default, none
        tiny_spec["training"]["class_weight"] = off
        assert _weighed(load_spec(tiny_spec), SKEWED)[1] is None
    tiny_spec["training"]["class_weight"] = "balanced"
    task, weights = _weighed(load_spec(tiny_spec), EVEN)
    assert weights == {0: pytest.approx(100 / 120), 1: pytest.approx(100 / 80)}
    assert task.monitor() == ("val_accuracy", "max")  # only auto changes the monitor
    assert task.weights_note == "class weights: balanced (largest class 1.5x the smallest)"
    found = task.diagnose(np.array([0, 1]), np.array([0, 1]), EVEN)
    assert found.verdicts == [task.weights_note] and '"a": 0.8333' in found.tables["class_weights.json"]


def test_tasks_without_classes_ignore_auto_but_refuse_balanced():
    ner = REPO / "pipelines" / "specs" / "ner.yaml"
    task = registry.tasks.get("token_classification").build(load_spec(ner))
    assert task.class_weight(None) is None and task.monitor() == ("val_accuracy", "max")
    assert load_spec(REPO / "pipelines" / "specs" / "diabetes.yaml", ["training.class_weight=auto"])
    for weights in ("training.class_weight=balanced", "training.class_weight={0: 2.0}"):
        with pytest.raises(SpecError, match="has no classes to weight"):
            load_spec(ner, [weights])


def test_weighted_fit_tracks_val_f1_macro(tiny_spec):
    """One-hot targets, class weights and the F1 metric fit together; the monitor is in the logs."""
    import keras

    task, weights = _weighed(load_spec(tiny_spec), SKEWED)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", **task.compile_options())
    x = np.random.default_rng(0).normal(size=(100, 4)).astype("float32")
    y = keras.utils.to_categorical(SKEWED, 2)
    history = model.fit(x, y, validation_data=(x, y), class_weight=weights, epochs=1, batch_size=50, verbose=0)
    assert 0.0 <= history.history[task.monitor()[0]][0] <= 1.0
