"""Exports that are killed halfway or race each other never show a partial version."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri

pytestmark = pytest.mark.slow

HANG_IN_EXPORT = """
import pathlib, sys, time
import serving.export as export
original = export.write_warmup
def write_then_hang(directory, *args, **kwargs):
    original(directory, *args, **kwargs)
    pathlib.Path(sys.argv[2]).write_text(str(directory))
    time.sleep(600)
export.write_warmup = write_then_hang
from pipelines.runner import run
run(sys.argv[1])
"""


def complete(version: Path) -> bool:
    return (version / "saved_model.pb").is_file() and (version / "assets.extra" / "tf_serving_warmup_requests").is_file()


class VersionWatcher(threading.Thread):
    """Polls a model folder and remembers any integer version that was not complete when seen."""

    def __init__(self, model_dir: Path):
        super().__init__(daemon=True)
        self.model_dir, self.partial, self.seen, self.running = model_dir, [], set(), True

    def run(self):
        while self.running:
            if self.model_dir.exists():
                for entry in self.model_dir.iterdir():
                    if entry.name.isdigit():
                        self.seen.add(entry.name)
                        if not complete(entry):
                            self.partial.append(entry.name)
            time.sleep(0.002)

    def stop(self):
        self.running = False
        self.join()


def write_spec(folder: Path, spec: dict, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec))
    return path


def test_kill_during_export_then_resume_publishes_one_complete_version(tiny_spec, in_tmp_dir):
    tiny_spec["tracking"] = {"log_model": False}
    spec = write_spec(in_tmp_dir, tiny_spec)
    model_dir = in_tmp_dir / "serving" / "models" / "tiny"
    watcher = VersionWatcher(model_dir)
    watcher.start()
    marker = in_tmp_dir / "in-export"
    proc = subprocess.Popen([sys.executable, "-c", HANG_IN_EXPORT, str(spec), str(marker)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline, "the export never started"
        time.sleep(0.05)
    half_written = in_tmp_dir / marker.read_text()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert half_written.parent == model_dir and half_written.exists()
    assert not [p for p in model_dir.iterdir() if p.name.isdigit()]

    result = run(tiny_spec, resume=True)
    watcher.stop()
    assert result.export_path.name == "1" and complete(result.export_path)
    assert not half_written.exists()
    assert watcher.seen == {"1"} and watcher.partial == []
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.run_id == result.run_id and record.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(result.run_id, "loss")] == [0, 1], "training is not redone"


def test_two_runs_exporting_one_model_name_get_two_complete_versions(tiny_spec, in_tmp_dir):
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["export"]["model_name"] = "shared"
    specs = []
    for name in ("first", "second"):
        tiny_spec["name"] = name
        specs.append(write_spec(in_tmp_dir, tiny_spec, f"{name}.yaml"))
    procs = [subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", str(s)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for s in specs]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-3000:]
    model_dir = in_tmp_dir / "serving" / "models" / "shared"
    versions = sorted(p.name for p in model_dir.iterdir())
    assert versions == ["1", "2"]
    assert all(complete(model_dir / v) for v in versions)


def test_a_non_chief_worker_neither_tracks_nor_exports(tiny_spec, in_tmp_dir, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
                                                "task": {"type": "worker", "index": 1}}))
    result = run(tiny_spec)
    assert result.run_id is None and result.export_path is None
    assert not (in_tmp_dir / "mlruns").exists() and not (in_tmp_dir / "serving").exists()
    assert (in_tmp_dir / ".kpipe" / "tiny" / "worker-1").is_dir()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_multi_worker_training_exports_and_logs_from_the_chief_only(tiny_spec, in_tmp_dir):
    tiny_spec["training"].update({"strategy": "multi_worker", "epochs": 1, "steps_per_epoch": 4})
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["data"]["split"] = {"validation": 0.0, "test": 0.1}
    spec = write_spec(in_tmp_dir, tiny_spec)
    workers = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                      "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", str(spec)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    try:
        codes = [proc.wait(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert codes == [0, 0], "\n".join(proc.stderr.read()[-2000:] for proc in procs)
    assert sorted(p.name for p in (in_tmp_dir / "serving" / "models" / "tiny").iterdir()) == ["1"]
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert record.info.status == "FINISHED"
    assert record.data.tags["kpipe.strategy"] == "multi_worker"
    assert record.data.tags["kpipe.replicas"] == "2"
