"""The task contract, run for every registered task from its shipped spec cut to a tiny run.

A task gets this test by registering: its shipped spec (under pipelines/specs/)
trains for two steps, is evaluated, reports its default metric, exports (the
export checks parity and replays its warmup records before it publishes), and
`kpipe predict` answers the export's own warmup request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from pipelines import components  # noqa: F401  (fills the registries)
from pipelines import registry
from pipelines.cli import main
from pipelines.runner import run
from pipelines.spec_loading import load_spec
from serving.warmup import read_warmup
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPECS = REPO / "pipelines" / "specs"
SMALLEST = {"hidden_dim": 32, "intermediate_dim": 64, "num_layers": 1}
"""Backbone config sizes the contract test caps (where a shipped spec's backbone config sets them)."""


def shipped_spec(task: str) -> Path:
    """The first shipped spec (by file name) whose task is `task`."""
    for path in sorted(SPECS.glob("*.yaml")):
        if yaml.safe_load(path.read_text())["task"] == task:
            return path
    raise AssertionError(f"task {task!r} is registered but no spec under {SPECS} uses it")


def tiny(spec: dict) -> dict:
    """The spec cut to two training steps of one epoch, its data where the test can read it."""
    source = spec["data"]["source"]
    for key in ("path", "images", "masks"):
        value = source.get(key)
        if value and (REPO / value).exists():
            source[key] = str(REPO / value)
    if "count" in source:  # generated data (the shapes source): fewer images, written into the test's folder
        source["count"] = min(source["count"], 24)
    if "generate" in source:  # generated interactions (the interactions source): fewer users and items
        source["generate"].update(users=60, items=40)
    config = spec["model"].get("backbone", {}).get("config") or {}
    for key, most in SMALLEST.items():  # Transformer-sized backbones: one small block is enough to check the contract
        if isinstance(config.get(key), int) and config[key] > most:
            config[key] = most
    spec["training"].update(epochs=1, steps_per_epoch=2, verbose=0)
    spec["model"].get("trainable", {}).pop("unfreeze_after_epoch", None)
    spec["data"]["batch_size"] = min(spec["data"].get("batch_size", 32), 8)
    spec["tracking"] = {"log_model": False}
    spec["export"].update(gates=[], parity_samples=4, warmup_samples=2)
    return spec


@pytest.mark.parametrize("task", registry.tasks.names())
def test_task_fits_evaluates_exports_and_answers(task, in_tmp_dir, capsys):
    spec = tiny(yaml.safe_load(shipped_spec(task).read_text()))
    result = run(spec)
    task_class = registry.tasks.get(task).build
    assert f"test_{task_class.metric}" in result.metrics, sorted(result.metrics)
    assert result.export_path is not None, f"{task}: no export ({result.failed_gates})"
    logged = MlflowClient(result.tracking_uri).get_run(result.run_id).data.metrics
    assert "export_parity_max_abs_diff" in logged
    assert f"val_{task_class.metric}" in logged or task_class.metric == "loss"

    log = read_warmup(result.export_path)[0]
    request = {key: tf.make_ndarray(proto) for key, proto in log.predict_log.request.inputs.items()}
    arguments = task_class(load_spec(spec)).predict_arguments(request, in_tmp_dir)
    capsys.readouterr()
    assert main(["predict", str(result.export_path), *arguments]) == 0
    printed = capsys.readouterr().out
    assert "│" in printed and len(printed.splitlines()) >= 5, printed  # a table with a header and an answer
