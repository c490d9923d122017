"""Runs that are killed, resumed, fed corrupt files, or spread over two devices."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml
from mlflow import MlflowClient

from data.errors import BadRecordError
from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri

pytestmark = pytest.mark.slow


def runs_of(experiment):
    client = MlflowClient(default_tracking_uri())
    return client, client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def write_image_folder(root, corrupt: bool):
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, value in (("dark", 40), ("light", 210)):
        (root / label).mkdir(parents=True)
        for index in range(10):
            pixels = np.clip(rng.normal(value, 20, (8, 8)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(root / label / f"{index}.png")
    if corrupt:
        (root / "light" / "broken.png").write_bytes(b"not a png at all")
    return root


def folder_spec(tiny_spec, root, on_bad_record):
    tiny_spec["data"]["source"] = {"type": "image_folder", "path": str(root), "image_size": [8, 8],
                                   "color_mode": "grayscale"}
    tiny_spec["data"]["on_bad_record"] = on_bad_record
    tiny_spec["data"]["split"] = {"validation": 0.2, "test": 0.2}
    tiny_spec["tracking"] = {"log_model": False}
    return tiny_spec


def test_corrupt_file_stops_before_training_naming_the_file(tiny_spec, in_tmp_dir):
    root = write_image_folder(in_tmp_dir / "images", corrupt=True)
    with pytest.raises(BadRecordError, match="broken.png"):
        run(folder_spec(tiny_spec, root, "error"))
    client, (record,) = runs_of("tiny")
    assert record.info.status == "FAILED"
    assert "broken.png" in record.data.tags["error"]
    assert not client.get_metric_history(record.info.run_id, "loss")
    assert not (in_tmp_dir / "serving").exists()


def test_corrupt_file_is_skipped_and_counted(tiny_spec, in_tmp_dir):
    root = write_image_folder(in_tmp_dir / "images", corrupt=True)
    result = run(folder_spec(tiny_spec, root, "skip"))
    assert result.skipped_records == 1
    _, (record,) = runs_of("tiny")
    assert record.info.status == "FINISHED"
    assert record.data.tags["data.skipped_records"] == "1"
    assert record.data.metrics["data_skipped_records"] == 1
    assert result.export_path is not None


MIRRORED = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from pipelines.runner import run
print("RUN_ID", run(sys.argv[1]).run_id)
"""


def test_mirrored_strategy_on_two_logical_cpus(tiny_spec, in_tmp_dir):
    tiny_spec["training"]["strategy"] = "mirrored"
    tiny_spec["tracking"] = {"log_model": False}
    (in_tmp_dir / "spec.yaml").write_text(yaml.safe_dump(tiny_spec))
    done = subprocess.run([sys.executable, "-c", MIRRORED, "spec.yaml"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    _, (record,) = runs_of("tiny")
    assert record.info.status == "FINISHED"
    assert record.data.tags["kpipe.strategy"] == "mirrored"
    assert record.data.tags["kpipe.replicas"] == "2"


def wait_for_epoch(metadata, epoch, proc, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {proc.stderr.read()[-2000:]}")
        try:
            if json.loads(metadata.read_text())["epoch"] >= epoch:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    pytest.fail("training never reached the epoch to kill at")


def test_sigkill_then_resume_gives_one_finished_run_with_every_epoch(tiny_spec, in_tmp_dir):
    epochs = 12
    tiny_spec["training"]["epochs"] = epochs
    tiny_spec["tracking"] = {"log_model": False}
    (in_tmp_dir / "spec.yaml").write_text(yaml.safe_dump(tiny_spec))
    kpipe = [sys.executable, "-m", "pipelines.cli", "run", "spec.yaml"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(kpipe, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_epoch(in_tmp_dir / ".kpipe" / "tiny" / "backup" / "training_metadata.json", 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    client, (killed,) = runs_of("tiny")
    assert killed.info.status == "RUNNING"

    resumed = subprocess.run([*kpipe, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    client, (record,) = runs_of("tiny")
    assert record.info.run_id == killed.info.run_id
    assert record.info.status == "FINISHED"
    steps = sorted({m.step for m in client.get_metric_history(record.info.run_id, "loss")})
    assert steps == list(range(epochs))


def test_resume_without_an_unfinished_run_is_a_clear_error(tiny_spec, in_tmp_dir):
    from pipelines.runner import ResumeError

    with pytest.raises(ResumeError, match="no unfinished run"):
        run(tiny_spec, resume=True)


def test_a_backup_cut_mid_write_resumes_from_the_backup_before(tmp_path):
    import keras

    from pipelines.callbacks.context import CallbackContext
    from pipelines.options import NoOptions
    from pipelines.registry import callbacks

    def model():
        built = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        built.compile("sgd", "mse")
        return built

    def stop_after_second_backup(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    context = CallbackContext(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        model().fit(x, y, epochs=3, verbose=0, callbacks=[
            callbacks.get("backup_and_restore").build(NoOptions(), context=context),
            keras.callbacks.LambdaCallback(on_epoch_end=stop_after_second_backup)])
    weights = tmp_path / "backup" / "latest.weights.h5"
    weights.write_bytes(weights.read_bytes()[:100])  # killed while writing epoch 2's weights
    epochs = []
    model().fit(x, y, epochs=3, verbose=0, callbacks=[
        callbacks.get("backup_and_restore").build(NoOptions(), context=context),
        keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))])
    assert epochs == [1, 2]
