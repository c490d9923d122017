"""The vae task: sample grids after every epoch, seeds that give the same images, pixels refused outside [0, 1]."""

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from models.seeded import seeded_codes
from pipelines.cli import main
from pipelines.runner import run
from serving.loading import load_export
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "digits_vae.yaml"


def _tiny(**changes):
    spec = yaml.safe_load(SPEC.read_text())
    spec["training"].update(epochs=2, steps_per_epoch=3, verbose=0, callbacks=[])
    spec["tracking"] = {"log_model": False}
    spec["export"].update(parity_samples=4, warmup_samples=1)
    spec.update(changes)
    return spec


def test_seeded_codes_are_the_same_for_the_same_seed_and_differ_between_seeds():
    codes = seeded_codes(np.array([3, 3, 4]), 5).numpy()
    np.testing.assert_array_equal(codes[0], codes[1])
    assert not np.allclose(codes[0], codes[2]) and codes.shape == (3, 5)


def test_pixels_outside_zero_one_are_refused_before_training(in_tmp_dir):
    spec = _tiny()
    spec["stages"] = [{"resize": {"height": 16, "width": 16}}]  # no rescale: pixels up to 255
    with pytest.raises(ValueError, match=r"task vae generates pixels in \[0, 1\].*add a rescale stage"):
        run(spec)


@pytest.mark.slow
def test_a_vae_logs_samples_every_epoch_and_generates_the_same_image_for_a_seed(in_tmp_dir, capsys):
    result = run(_tiny())
    client = MlflowClient(result.tracking_uri)
    samples = {a.path for a in client.list_artifacts(result.run_id, "plots/samples")}
    assert samples == {"plots/samples/epoch_001.png", "plots/samples/epoch_002.png"}
    metrics = client.get_run(result.run_id).data.metrics
    assert {"val_kl_loss", "val_reconstruction_loss", "test_kl_loss", "test_reconstruction_loss"} <= set(metrics)
    exported = load_export(result.export_path)
    first = exported.signatures["generate"](seed=tf.constant([5, 6], tf.int64))
    again = exported.signatures["serving_default"](seed=tf.constant([5], tf.int64))
    np.testing.assert_array_equal(first["pixels"][0], again["pixels"][0])
    assert first["pixels"].dtype == tf.uint8 and first["png_bytes"].numpy()[0].startswith(b"\x89PNG")
    digit = tf.io.encode_png(tf.cast(first["pixels"][:1][0], tf.uint8))
    codes = exported.signatures["encode"](image_bytes=tf.stack([digit]))
    assert codes["mean"].shape == (1, 8) and codes["log_variance"].shape == (1, 8)
    assert main(["predict", str(result.export_path), "--seed", "5", "--output", "out"]) == 0
    assert (in_tmp_dir / "out" / "seed_5.png").read_bytes() == first["png_bytes"].numpy()[0]
