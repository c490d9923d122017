"""The gan task: FID every epoch, seeded conditional generation through the export, collapse verdicts."""

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from models.tasks.gan.model import ScaledSchedule
from models.tasks.gan.task import Gan
from models.tasks.realism import diversity
from pipelines.cli import main
from pipelines.runner import run
from pipelines.spec_loading import load_spec
from serving.loading import load_export
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "digits_gan.yaml"


def _tiny():
    spec = yaml.safe_load(SPEC.read_text())
    spec["training"].update(epochs=2, steps_per_epoch=3, verbose=0)
    spec["model"]["head"].update(generator_filters=[16, 8], fidelity_every=1)
    spec["model"]["backbone"]["config"]["filters"] = [8, 16]
    spec["tracking"] = {"log_model": False}
    spec["export"].update(parity_samples=4, warmup_samples=1)
    return spec


def test_the_generator_learning_rate_is_the_discriminators_times_the_factor():
    import keras

    schedule = ScaledSchedule(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5), 2.0)
    assert float(schedule(10)) == pytest.approx(1e-3)
    again = ScaledSchedule.from_config(schedule.get_config())
    assert float(again(10)) == pytest.approx(1e-3) and float(ScaledSchedule(1e-3, 3.0)(0)) == pytest.approx(3e-3)


def test_a_conditional_gan_needs_classes_and_collapse_is_read_from_diversity():
    from data.examples import Examples

    task = Gan(load_spec(_tiny()))
    with pytest.raises(ValueError, match="a conditional gan needs at least 2 classes"):
        task.check(Examples(np.zeros((4, 8, 8, 1), "uint8"), np.zeros(4, "int64"), ["only"]))
    assert diversity(np.ones((50, 4))) == 0.0 < diversity(np.random.default_rng(0).normal(size=(50, 4)))


@pytest.mark.slow
def test_a_conditional_gan_reports_fid_each_epoch_and_generates_the_asked_class_by_seed(in_tmp_dir, capsys):
    result = run(_tiny())
    client = MlflowClient(result.tracking_uri)
    history = client.get_metric_history(result.run_id, "val_fid")
    assert len(history) == 2 and {"val_kid", "val_conditional_accuracy", "val_d_loss", "val_g_loss"} <= set(
        client.get_run(result.run_id).data.metrics)
    for name in ("test_fid", "test_kid", "test_fid_real_floor", "test_conditional_accuracy", "test_sample_diversity"):
        assert name in result.metrics, name
    served = load_export(result.export_path).signatures
    by_id = served["serving_default"](seed=tf.constant([3, 3], tf.int64), class_id=tf.constant([7, 2], tf.int64))
    by_name = served["generate_by_name"](seed=tf.constant([3], tf.int64), class_name=tf.constant(["7"]))
    np.testing.assert_array_equal(by_id["pixels"][0], by_name["pixels"][0])
    assert not np.array_equal(by_id["pixels"][0], by_id["pixels"][1])  # the same seed, another class
    with pytest.raises(tf.errors.InvalidArgumentError, match="class_name must be one of"):
        served["generate_by_name"](seed=tf.constant([3], tf.int64), class_name=tf.constant(["seven"]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"class_id must be in \[0, 10\)"):
        served["generate"](seed=tf.constant([3], tf.int64), class_id=tf.constant([10], tf.int64))
    assert main(["predict", str(result.export_path), "--seed", "3", "--class-id", "7", "--output", "out"]) == 0
    assert (in_tmp_dir / "out" / "seed_3_class_7.png").read_bytes() == by_id["png_bytes"].numpy()[0]
