"""The autoencoder task without training: what counts as normal, the split, the threshold."""

import numpy as np
import pytest
import yaml

from data.examples import Examples
from models.tasks.autoencoder.scores import choose_threshold, detection_metrics, pca_scores
from models.tasks.autoencoder.task import Autoencoder
from pipelines.spec_loading import load_spec
from tests.helpers import REPO


def _task(**head):
    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "digits_anomaly.yaml").read_text())
    spec["model"]["head"] = {"latent": 4, **head}
    return Autoencoder(load_spec(spec))


def _images(count=40, classes=4):
    return Examples(np.zeros((count, 8, 8, 1), "uint8"), np.arange(count) % classes, [f"c{i}" for i in range(classes)])


def test_normal_classes_must_be_classes_of_the_source_and_not_all_of_them():
    with pytest.raises(ValueError, match=r"normal_classes: \['dog'\] are not classes of data.source"):
        _task(normal_classes=["dog"]).check(_images())
    with pytest.raises(ValueError, match="names every class: no anomalies are left"):
        _task(normal_classes=["c0", "c1", "c2", "c3"]).check(_images())
    with pytest.raises(ValueError, match="needs images"):
        _task().check(Examples(np.zeros((4, 3), "float32"), np.array([0, 1, 0, 1]), ["a", "b"]))


def test_training_keeps_only_normal_images_and_held_out_splits_keep_the_anomalies():
    task = _task(normal_classes=["c0", "c2"])
    examples = _images()
    task.check(examples)
    train, validation, test = task.split(examples, seed=1)
    assert set(train.labels.tolist()) == {0, 2}
    assert set(validation.labels.tolist()) | set(test.labels.tolist()) == {0, 1, 2, 3}
    assert task.anomalous(np.array([0, 1, 2, 3])).tolist() == [0, 1, 0, 1]


def test_the_threshold_is_the_best_f1_with_anomalies_else_a_percentile():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    threshold, reason = choose_threshold(scores, np.array([0, 0, 0, 1, 1]), percentile=99)
    assert threshold == pytest.approx(0.8) and "best F1 (1)" in reason
    threshold, reason = choose_threshold(scores, None, percentile=80)
    assert threshold == pytest.approx(np.percentile(scores, 80)) and "80th percentile" in reason
    metrics = detection_metrics(scores, np.array([0, 0, 1, 1, 1]), threshold=0.25)
    assert metrics["test_anomaly_recall"] == 1.0 and metrics["test_anomaly_precision"] == 1.0


def test_the_pca_baseline_scores_what_it_cannot_reconstruct_higher():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 16))
    normal = (rng.normal(size=(50, 2)) @ basis).reshape(50, 4, 4, 1)
    odd = rng.normal(size=(5, 4, 4, 1)) * 3
    scores = pca_scores(normal, np.concatenate([normal[:5], odd]), components=2)
    assert scores[5:].min() > scores[:5].max()
