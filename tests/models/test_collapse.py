"""Collapse detection: planted held-out predictions, the tasks' verdicts, and one run that collapses."""

import numpy as np
import pytest

from models.tasks.base import Evaluation
from models.tasks.collapse import baseline_f1, class_collapse, imbalance, macro_f1, regression_collapse
from pipelines import registry
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

BALANCED = np.repeat([0, 1, 2], 20)


def test_one_class_predictions_collapse():
    found = class_collapse(BALANCED, np.zeros(60, "int64"), BALANCED, ["cat", "dog", "eel"])
    assert found.reason == "one_class"
    assert found.finding == ("Collapse: 100% of held-out predictions are class 'cat' "
                             "(the largest true class is 33%).")
    nearly = np.where(np.arange(60) < 58, 2, 0)  # 97% one class
    assert class_collapse(BALANCED, nearly, BALANCED).reason == "one_class"


def test_macro_f1_no_better_than_a_baseline_collapses():
    wrong = (BALANCED + 1) % 3  # three classes answered, every answer wrong
    found = class_collapse(BALANCED, wrong, BALANCED, ["cat", "dog", "eel"])
    assert found.reason == "baseline_f1" and "macro-F1 0.000" in found.finding
    assert "majority class 'cat'" in found.finding and "training frequencies (0.333)" in found.finding


def test_truth_mostly_one_class_needs_the_f1_check():
    truth = np.array([0] * 97 + [1] * 3)
    assert class_collapse(truth, np.zeros(100, "int64"), truth).reason == "baseline_f1"
    assert class_collapse(truth, truth, truth) is None


def test_healthy_predictions_do_not_collapse():
    guesses = BALANCED.copy()
    guesses[::6] = (guesses[::6] + 1) % 3  # 83% right
    assert class_collapse(BALANCED, guesses, BALANCED) is None
    assert class_collapse(np.array([1, 1]), np.array([1, 1]), np.array([0, 1])) is None  # one class in the truth
    assert class_collapse(np.array([], "int64"), np.array([], "int64"), BALANCED) is None


def test_macro_f1_and_baselines_agree_with_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    truth, guesses = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    assert macro_f1(truth, guesses) == pytest.approx(f1_score(truth, guesses, average="macro"))
    scores = baseline_f1(np.array([0, 1, 1, 1]), np.array([1, 1, 1, 0]))
    assert scores == {"majority": pytest.approx(3 / 7), "chance": pytest.approx(0.5)}
    assert imbalance(np.array([0] * 9 + [1] + [3] * 3)) == 9.0 and imbalance(np.array([2, 2])) == 1.0


def test_regression_collapse():
    train = np.linspace(0.0, 10.0, 50)
    truth = np.array([1.0, 4.0, 6.0, 9.0])
    assert regression_collapse(truth, np.full(4, 5.0) + [0, 1e-4, 0, 0], train).reason == "flat_predictions"
    found = regression_collapse(truth, np.array([9.0, 6.0, 4.0, 1.0]), train)
    assert found.reason == "baseline_mae" and "training mean (2.5)" in found.finding
    assert regression_collapse(truth, np.array([1.0, np.nan, 6.0, 9.0]), train).reason == "not_finite"
    assert regression_collapse(truth, truth + 0.5, train) is None


def test_evaluations_merge():
    merged = Evaluation({"a": 1.0}, verdicts=["one"]).update(Evaluation({"b": 2.0}, verdicts=["two"],
                                                                          tags={"collapse": "one_class"}))
    assert merged.metrics == {"a": 1.0, "b": 2.0} and merged.verdicts == ["one", "two"]
    assert merged.tags == {"collapse": "one_class"}


def _task(spec):
    return registry.tasks.get(spec.task).build(spec)


def test_a_classifier_names_the_spec_keys_to_change(tiny_spec):
    from data.examples import Examples

    tiny_spec["training"]["class_weight"] = "none"
    tiny_spec["training"]["callbacks"] = [{"early_stopping": {"patience": 4}}]
    task = _task(load_spec(tiny_spec))
    labels = np.array([0] * 10 + [1] * 2 + [2] * 2)
    examples = Examples(np.zeros((len(labels), 8, 8, 1), "uint8"), labels, ["a", "b", "c"])
    task.prepare(examples, examples)
    assert task.class_weight(examples) is None
    found = task.diagnose(np.array([0, 1, 2, 1]), np.zeros(4, "int64"), labels)
    (verdict,) = found.verdicts
    assert verdict.startswith("Collapse: 100% of held-out predictions are class 'a'")
    assert "class imbalance (the largest training class has 5.0x the examples of the smallest): " \
           "set training.class_weight: balanced" in verdict
    assert "training.optimizer.learning_rate (now 0.003)" in verdict
    assert "training.epochs (now 2), and early stopping's patience (now 4)" in verdict
    assert found.tags == {"collapse": "one_class"}
    assert found.metrics["test_majority_baseline_f1_macro"] == pytest.approx(0.4 / 3)
    assert task.diagnose(np.array([0, 1, 2]), np.array([0, 1, 2]), labels).tags == {}


def test_text_and_regression_causes():
    text = _task(load_spec(REPO / "pipelines" / "specs" / "sentiment.yaml"))
    assert any("tokenize stage's sequence_length (now" in cause for cause in text.collapse_causes())
    regression = _task(load_spec(REPO / "pipelines" / "specs" / "diabetes.yaml",
                                 ["model.head.standardize_target=false"]))
    assert "set model.head.standardize_target: true" in regression.collapse_causes()[-1]
    report = regression.collapse_report(regression_collapse(np.array([1.0, 2.0]), np.array([3.0, 3.0]),
                                                            np.array([1.0, 2.0])))
    assert report.tags == {"collapse": "flat_predictions"} and "Likely causes: a learning rate" in report.verdicts[0]


def test_a_run_at_learning_rate_10_says_it_collapsed(tiny_spec):
    """Digits at learning rate 10 for one epoch: the summary says so and the run is tagged."""
    from mlflow import MlflowClient

    from pipelines import tags
    from pipelines.runner import run

    tiny_spec["training"].update(epochs=1)
    tiny_spec["training"]["optimizer"]["learning_rate"] = 10
    tiny_spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["export"] = {"enabled": False}
    result = run(tiny_spec)
    (verdict,) = [v for v in result.verdicts if v.startswith("Collapse:")]
    assert "change training.optimizer.learning_rate (now 10)" in verdict
    assert "raise training.epochs (now 1)" in verdict
    record = MlflowClient(result.tracking_uri).get_run(result.run_id)
    assert record.data.tags[tags.COLLAPSE] in ("one_class", "baseline_f1")
