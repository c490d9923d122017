"""Two workers on loopback under MultiWorkerMirroredStrategy: Keras fit() (an upstream flag), kill and resume."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.tracking_uri import default_tracking_uri

pytestmark = pytest.mark.slow

KERAS_FIT = """
import os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras, numpy as np, tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
rng = np.random.default_rng(0)
dataset = tf.data.Dataset.from_tensor_slices((rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, 32)))
with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
try:
    model.fit(dataset.batch(8), epochs=1, verbose=0)
except ValueError as error:  # the known failure: exit 3; anything else fails the test for real
    sys.exit(3 if "PerReplica" in str(error) else 1)
"""
KNOWN_FAILURE = 3

# The first run: after the chief's first backup, each batch sleeps, so the kill lands mid-run.
SLOW_AFTER_FIRST_EPOCH = """
import sys, time
import keras
from pipelines.runner import run

class Slow(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch > 0:
            time.sleep(0.5)
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

run(sys.argv[1], callbacks=[Slow()])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(command: list[str], workers: int = 2) -> list[subprocess.Popen]:
    """The command once per worker, each with its TF_CONFIG for a loopback cluster; output in worker-<i>.log."""
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(workers)]
    procs = []
    for index in range(workers):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": addresses},
                                                      "task": {"type": "worker", "index": index}})}
        with open(f"worker-{index}.log", "a") as log:
            procs.append(subprocess.Popen([sys.executable, *command], env=env, stdout=log, stderr=subprocess.STDOUT))
    return procs


def wait_all(procs, timeout=300) -> list[int]:
    try:
        return [proc.wait(timeout=timeout) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()


def logs() -> str:
    return "\n".join(open(f"worker-{index}.log").read()[-2000:] for index in range(2))


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="Keras 3 fit() fails under MultiWorkerMirroredStrategy (keras-team/keras#20585): "
                   "_maybe_symbolic_build reduces the first PerReplica batch; pipelines.distributed_fit trains "
                   "instead. When this passes, upstream is fixed: training can go back to fit().")
def test_keras_fit_trains_under_multi_worker_mirrored_strategy(in_tmp_dir):
    codes = wait_all(launch(["-c", KERAS_FIT]), timeout=120)
    if set(codes) - {0, KNOWN_FAILURE}:
        raise RuntimeError(f"not the known failure: exit codes {codes}\n{logs()}")
    assert codes == [0, 0], "Keras fit() still fails under MultiWorkerMirroredStrategy"


def test_a_worker_killed_mid_run_leaves_a_run_that_resume_completes(tiny_spec, in_tmp_dir):
    tiny_spec["training"].update({"strategy": "multi_worker", "epochs": 3, "steps_per_epoch": 4, "callbacks": [
        "backup_and_restore", "model_checkpoint", {"early_stopping": {"patience": 5}}, "terminate_on_nan"]})
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    tiny_spec["data"]["split"] = {"validation": 0.1, "test": 0.1}
    spec = in_tmp_dir / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec))
    chief_backup = in_tmp_dir / ".kpipe" / "tiny" / "backup" / "training_metadata.json"

    procs = launch(["-c", SLOW_AFTER_FIRST_EPOCH, str(spec)])
    deadline = time.time() + 240
    while not chief_backup.exists():
        assert all(proc.poll() is None for proc in procs), logs()
        assert time.time() < deadline, "the first epoch never ended"
        time.sleep(0.02)
    procs[1].send_signal(signal.SIGKILL)  # a worker dies in the second epoch; the job is then stopped
    procs[0].send_signal(signal.SIGKILL)
    wait_all(procs)
    assert json.loads(chief_backup.read_text())["epoch"] == 1
    assert not (in_tmp_dir / "serving").exists()

    procs = launch(["-m", "pipelines.cli", "run", str(spec), "--resume"])
    codes = wait_all(procs)
    assert codes == [0, 0], logs()
    assert sorted(p.name for p in (in_tmp_dir / "serving" / "models" / "tiny").iterdir()) == ["1"]
    assert (in_tmp_dir / ".kpipe" / "tiny" / "checkpoints" / "best.keras").is_file()
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.status == "FINISHED"
    assert sorted({m.step for m in client.get_metric_history(record.info.run_id, "val_loss")}) == [0, 1, 2]
    assert [m.step for m in client.get_metric_history(record.info.run_id, "loss")].count(0) == 1, \
        "the first epoch is not trained again"
