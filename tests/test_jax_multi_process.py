"""Beyond one JAX process: `training.strategy: multi_worker` (several processes, `training.cluster`) and
`training.model_parallel` (variables sharded over a device mesh), on the JAX backend.

The spec checks run here; the runs run in subprocesses with KERAS_BACKEND=jax (this test process runs
TensorFlow): two processes on loopback with one CPU device each, and beside them one process with two
CPU devices (XLA_FLAGS=--xla_force_host_platform_device_count=2) that trains the same spec alone, then
trains model-parallel and checks keras-hub's own layout map (`layout_map: auto`). All three start at
once, so their startup is paid once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from pipelines.jax_cluster import cluster_settings
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

TIMEOUT = 240

# One process of the cluster: a run; its final weights and its result for the test.
WORKER = """
import json, sys
import numpy as np
from pipelines.runner import run

result = run(sys.argv[1])
np.save(sys.argv[2], np.concatenate([np.ravel(w) for w in result.model.get_weights()]))
print("RESULT", json.dumps({"metrics": result.metrics, "export": str(result.export_path)}))
"""

# One process, two devices: the same spec alone (DataParallel over its two devices), then model-parallel
# with a regex layout map (the kernels' output axis split over the two devices), then keras-hub's own.
ALONE = """
import json, sys, types
import keras, keras_hub, yaml
from pipelines.jax_distribution import layout_map
from pipelines.runner import run
from pipelines.spec_distribution import ModelParallelSpec

spec = yaml.safe_load(open(sys.argv[1]))
spec["training"]["strategy"] = "auto"
alone = run({**spec, "export": {**spec["export"], "enabled": False}})
out = {"alone": alone.metrics}

spec["name"] = "tiny-mp"  # a short run: it shows the sharding, training and the export, not the accuracy
spec["training"].update({"epochs": 1, "steps_per_epoch": 4})
spec["training"]["model_parallel"] = {"mesh": {"model": 2}, "layout_map": {".*kernel": [None, "model"]}}
result = run(spec)
kernels = [v for v in result.model.variables if v.path.endswith("kernel")]
out["model_parallel"] = {"metrics": result.metrics, "export": str(result.export_path),
                         "kernel_devices": [len(v.value.sharding.device_set) for v in kernels],
                         "kernel_specs": [str(v.value.sharding.spec) for v in kernels]}

mesh = keras.distribution.DeviceMesh((1, 2), ["batch", "model"], keras.distribution.list_devices())
auto = layout_map(ModelParallelSpec(), mesh, types.SimpleNamespace(source="keras_hub", name="GemmaBackbone"))
with keras.distribution.ModelParallel(layout_map=auto, batch_dim_name="batch").scope():
    gemma = keras_hub.models.GemmaBackbone(vocabulary_size=16, num_layers=1, num_query_heads=2,
                                           num_key_value_heads=2, hidden_dim=8, intermediate_dim=16, head_dim=4)
embedding = gemma.get_layer("token_embedding").embeddings
out["gemma_embedding_devices"] = len(embedding.value.sharding.device_set)
print("RESULT", json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jax_env(**extra: str) -> dict:
    return {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
            "XLA_FLAGS": "--xla_force_host_platform_device_count=1", **extra}


def start(code: str, args: list, env: dict, log, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def wait_all(procs: dict, timeout: float = TIMEOUT) -> dict:
    """Every process's exit code; once one fails the others are killed (a process of a cluster whose peer
    died waits for it in vain)."""
    deadline = time.time() + timeout
    try:
        while any(proc.poll() is None for proc in procs.values()) and time.time() < deadline:
            if any(proc.poll() not in (None, 0) for proc in procs.values()):
                break
            time.sleep(0.1)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
    return {name: proc.wait() for name, proc in procs.items()}


def finish(procs: dict, logs: dict) -> dict:
    """Wait for every process; each one's RESULT line, read as JSON (the test fails with the logs otherwise)."""
    codes = wait_all(procs)
    texts = {name: open(path).read() for name, path in logs.items()}
    assert set(codes.values()) == {0}, "\n".join(f"--- {n} exit {codes[n]}\n{t[-4000:]}" for n, t in texts.items())
    return {name: json.loads(text.split("RESULT ", 1)[1].splitlines()[0]) for name, text in texts.items()}


def cluster_spec(tiny_spec: dict) -> dict:
    """A digits MLP that reaches ~90% in a few epochs, on two JAX processes."""
    tiny_spec["model"]["backbone"] = {"source": "builtin", "name": "mlp", "config": {"units": [32]}}
    tiny_spec["stages"] = [{"rescale": {"scale": 1 / 16}}]
    tiny_spec["training"].update({"backend": "jax", "strategy": "multi_worker", "epochs": 3,
                                  "optimizer": {"name": "adam", "learning_rate": 0.01}})
    tiny_spec["tracking"] = {"log_model": False}
    return tiny_spec


# --- the spec (in this process) ------------------------------------------------------------------------------

def test_jax_takes_multi_worker_and_a_cluster_block(tiny_spec):
    spec = load_spec(tiny_spec, ["training.backend=jax", "training.strategy=multi_worker",
                                 "training.cluster={coordinator: '10.0.0.1:1234', num_processes: 2}",
                                 "training.cluster.process_id=1"])
    assert (spec.training.cluster.coordinator, spec.training.cluster.num_processes,
            spec.training.cluster.process_id) == ("10.0.0.1:1234", 2, 1)


@pytest.mark.parametrize("overrides, message", [
    (["training.backend=jax", "training.strategy=multi_worker", "training.cluster={num_processes: 2, process_id: 2}"],
     "training.cluster: process_id: 2 is not below num_processes: 2"),
    (["training.backend=jax", "training.strategy=multi_worker", "training.cluster={coordinator: nohost}"],
     "training.cluster.coordinator"),
    (["training.cluster={num_processes: 2}"], "training: cluster: only with backend: jax and strategy: multi_worker"),
    (["training.model_parallel={mesh: {model: 2}}"], "training: model_parallel: needs backend: jax"),
    (["training.backend=jax", "training.strategy=multi_worker", "training.model_parallel={mesh: {model: 2}}"],
     "training: model_parallel: shards over one process's devices"),
    (["training.backend=jax", "training.model_parallel={layout_map: {'dense(': [null, model]}}"],
     "training.model_parallel: layout_map: 'dense(' is not a regular expression"),
    (["training.backend=jax", "training.model_parallel={layout_map: {dense: [null, modle]}}"],
     "axis 'modle' is none of batch, model or null; did you mean 'model'?"),
])
def test_cluster_and_model_parallel_are_validated_naming_the_key(tiny_spec, overrides, message):
    with pytest.raises(SpecError) as caught:
        load_spec(tiny_spec, overrides)
    assert message in str(caught.value), str(caught.value)


def test_cluster_settings_come_from_the_spec_then_keras_variables_then_tf_config(tiny_spec, monkeypatch):
    for name in ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID", "TF_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert cluster_settings() == (None, None, None)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["h0:1", "h1:1", "h2:1"]},
                                                "task": {"type": "worker", "index": 2}}))
    assert cluster_settings() == ("h0:1", 3, 2)
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "k0:9,k1:9")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    assert cluster_settings() == ("k0:9", 2, 1)
    spec = load_spec(tiny_spec, ["training.backend=jax", "training.strategy=multi_worker",
                                 "training.cluster={process_id: 0}"])
    assert cluster_settings(spec.training.cluster) == ("k0:9", 2, 0)


# --- the runs (subprocesses on JAX) --------------------------------------------------------------------------

@pytest.mark.slow
def test_two_jax_processes_train_as_one_and_model_parallel_shards_the_weights(tiny_spec, in_tmp_dir):
    """Two processes on loopback: one FINISHED MLflow run, one export, equal final weights on both, the
    accuracy of one process training alone; and a model-parallel run with its kernels on two devices."""
    from mlflow import MlflowClient

    from pipelines.tracking_uri import default_tracking_uri

    (in_tmp_dir / "spec.yaml").write_text(yaml.safe_dump(cluster_spec(tiny_spec)))
    (in_tmp_dir / "alone").mkdir()
    address = f"127.0.0.1:{free_port()}"
    procs, logs = {}, {}
    for index in range(2):
        logs[index] = in_tmp_dir / f"worker-{index}.log"
        env = jax_env(KERAS_DISTRIBUTION_JOB_ADDRESSES=address, KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                      KERAS_DISTRIBUTION_PROCESS_ID=str(index))
        procs[index] = start(WORKER, ["spec.yaml", f"weights-{index}.npy"], env, open(logs[index], "w"), in_tmp_dir)
    logs["alone"] = in_tmp_dir / "alone.log"
    procs["alone"] = start(ALONE, [in_tmp_dir / "spec.yaml"], jax_env(
        XLA_FLAGS="--xla_force_host_platform_device_count=2"), open(logs["alone"], "w"), in_tmp_dir / "alone")
    results = finish(procs, logs)

    chief, other, alone = results[0], results[1], results["alone"]
    np.testing.assert_array_equal(np.load("weights-0.npy"), np.load("weights-1.npy"))
    assert chief["export"].endswith("tiny/1") and other["export"] == "None"
    assert sorted(p.name for p in (in_tmp_dir / "serving" / "models" / "tiny").iterdir()) == ["1"]
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.status == "FINISHED"
    assert (record.data.tags["kpipe.strategy"], record.data.tags["kpipe.replicas"]) == ("data_parallel", "2")
    two, one = chief["metrics"]["test_accuracy"], alone["alone"]["test_accuracy"]
    print(f"test accuracy: two processes {two:.4f}, one process {one:.4f}")
    assert two > 0.8 and abs(two - one) <= 0.03, (two, one)  # 180 test images: 0.03 is ~5 of them
    assert other["metrics"]["test_accuracy"] == two  # each process evaluates the same weights on its own

    parallel = alone["model_parallel"]
    assert parallel["kernel_devices"] and set(parallel["kernel_devices"]) == {2}, parallel
    assert all("'model'" in spec for spec in parallel["kernel_specs"]), parallel
    assert parallel["export"].endswith("tiny-mp/1") and np.isfinite(parallel["metrics"]["test_loss"])
    assert alone["gemma_embedding_devices"] == 2  # layout_map: auto is keras-hub's GemmaBackbone.get_layout_map


# The first run: after process 0's first backup, each batch sleeps, so the kill lands mid-run.
SLOW_AFTER_FIRST_EPOCH = """
import sys, time
import keras
from pipelines.runner import run

class Slow(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch > 0:
            time.sleep(0.5)

run(sys.argv[1], callbacks=[Slow()])
"""


@pytest.mark.slow
def test_a_jax_process_killed_mid_run_leaves_a_run_that_resume_completes(tiny_spec, in_tmp_dir, monkeypatch):
    """tests/test_multi_worker.py's kill and `--resume`, on two JAX processes whose cluster comes from TF_CONFIG."""
    from mlflow import MlflowClient

    from pipelines.tracking_uri import default_tracking_uri
    from tests.test_multi_worker import launch, logs

    spec = cluster_spec(tiny_spec)
    spec["training"].update({"epochs": 3, "steps_per_epoch": 4, "callbacks": [
        "backup_and_restore", "model_checkpoint", {"early_stopping": {"patience": 5}}]})
    path = in_tmp_dir / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    for name, value in jax_env().items():
        monkeypatch.setenv(name, value)
    chief_backup = in_tmp_dir / ".kpipe" / "tiny" / "backup" / "training_metadata.json"

    procs = launch(["-c", SLOW_AFTER_FIRST_EPOCH, str(path)])
    deadline = time.time() + TIMEOUT
    while not chief_backup.exists():
        assert all(proc.poll() is None for proc in procs), logs()
        assert time.time() < deadline, "the first epoch never ended"
        time.sleep(0.02)
    procs[1].send_signal(signal.SIGKILL)  # a process dies in the second epoch; the job is then stopped
    procs[0].send_signal(signal.SIGKILL)
    wait_all(dict(enumerate(procs)))
    assert json.loads(chief_backup.read_text())["epoch"] == 1
    assert not (in_tmp_dir / "serving").exists()

    codes = wait_all(dict(enumerate(launch(["-m", "pipelines.cli", "run", str(path), "--resume"]))))
    assert codes == {0: 0, 1: 0}, logs()
    assert sorted(p.name for p in (in_tmp_dir / "serving" / "models" / "tiny").iterdir()) == ["1"]
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.status == "FINISHED"
    assert sorted({m.step for m in client.get_metric_history(record.info.run_id, "val_loss")}) == [0, 1, 2]
    assert [m.step for m in client.get_metric_history(record.info.run_id, "loss")].count(0) == 1, \
        "the first epoch is not trained again"
