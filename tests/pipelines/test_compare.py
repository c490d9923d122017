"""`kpipe compare`: runs side by side as a table, CSV, JSON or Markdown, and PNG plots."""

import csv
import io
import json

import pytest
from mlflow import MlflowClient
from PIL import Image

from pipelines.cli import main
from pipelines.compare import compare_runs, find_runs


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two runs written straight to MLflow (no training), a run that failed early, and a sweep parent."""
    client = MlflowClient(f"sqlite:///{tmp_path_factory.mktemp('store')}/mlflow.db")
    experiment = client.create_experiment("synthetic")
    runs = []
    for index, (rate, losses) in enumerate([("0.001", [0.9, 0.5, 0.6]), ("0.01", [0.8, 0.7, 0.4])]):
        run = client.create_run(experiment, run_name=f"run-{index}", tags={"kpipe.export_version": str(index + 1)})
        run_id = run.info.run_id
        for key, value in {"training.optimizer.learning_rate": rate, "training.epochs": "3",
                           "training.work_dir": f".kpipe/{index}", "tracking.run_name": f"run-{index}"}.items():
            client.log_param(run_id, key, value)
        for step, loss in enumerate(losses):
            client.log_metric(run_id, "val_loss", loss, step=step)
            client.log_metric(run_id, "val_accuracy", 1 - loss, step=step)
        client.log_metric(run_id, "test_loss", losses[-1] + 0.05)
        client.set_terminated(run_id, "FINISHED")
        runs.append(run_id)
    failed = client.create_run(experiment, run_name="broken").info.run_id
    client.set_terminated(failed, "FAILED")
    client.create_run(experiment, run_name="a-sweep", tags={"kpipe.sweep": "grid"})
    return client, runs, failed


def compare(client, *args):
    return main(["compare", "--tracking-uri", client.tracking_uri, *args])


def test_only_params_that_differ_become_columns(store):
    client, (first, second), failed = store
    comparison = compare_runs(client, find_runs(client, "synthetic"), "val_loss")
    assert comparison.varying == ["training.optimizer.learning_rate"]
    assert comparison.mode == "min"
    assert [row.run_id for row in comparison.rows] == [second, first, failed]
    records = {record["run_id"]: record for record in comparison.records()}
    assert records[first]["metrics"] == pytest.approx({"val_loss": 0.6, "best_val_loss": 0.5, "test_loss": 0.65})
    assert records[second]["export_version"] == "2"
    assert records[failed]["status"] == "FAILED" and records[failed]["params"] == {
        "training.optimizer.learning_rate": None}


def test_csv_and_markdown_carry_the_same_rows(store, capsys, in_tmp_dir):
    client, (first, second), _ = store
    assert compare(client, "--experiment", "synthetic", "--runs", first, second, "--output", "runs.csv") == 0
    rows = list(csv.DictReader(io.StringIO((in_tmp_dir / "runs.csv").read_text())))
    assert [(row["run_id"], row["training.optimizer.learning_rate"]) for row in rows] == [
        (second, "0.01"), (first, "0.001")]
    assert float(rows[0]["val_accuracy"]) == client.get_run(second).data.metrics["val_accuracy"]
    assert compare(client, "--experiment", "synthetic", "--format", "markdown") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| run_id | run_name | status | training.optimizer.learning_rate | val_accuracy")
    assert len(table) == 2 + 3


def test_unknown_names_exit_2_naming_them(store, capsys, in_tmp_dir):
    client, (first, _), _ = store
    assert compare(client, "--experiment", "nope") == 2
    assert "no experiment named 'nope'" in capsys.readouterr().err
    assert compare(client, "--experiment", "synthetic", "--runs", first, "0123abc") == 2
    assert "no run '0123abc'" in capsys.readouterr().err
    assert compare(client, "--experiment", "synthetic", "--output", "runs.txt") == 2
    assert "give --format csv, json or markdown" in capsys.readouterr().err


def test_no_store_here_is_a_clear_error(in_tmp_dir, capsys):
    assert main(["compare", "--experiment", "digits"]) == 2
    assert "no MLflow store in" in capsys.readouterr().err
    assert not (in_tmp_dir / "mlruns").exists()


def assert_png(path):
    assert path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) > 100
        image.verify()


@pytest.mark.slow
def test_compare_shows_the_sweeps_four_runs_and_round_trips_json(grid_sweep, capsys, in_tmp_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    compare = ["compare", "--experiment", "tiny", "--tracking-uri", grid_sweep.uri, "--plots", "plots"]
    assert main(compare) == 0
    table = capsys.readouterr().out
    header = next(line for line in table.splitlines() if "run_id" in line)
    assert "learning_rate" in header and "dropout" in header
    assert "work_dir" not in table and header.count("run_name") == 1
    assert all(f"tiny-trial-00{index}" in table for index in range(4))

    assert main([*compare, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 4
    client = MlflowClient(grid_sweep.uri)
    for record in records:
        run = client.get_run(record["run_id"])
        assert set(record["params"]) == {"model.head.dropout", "training.optimizer.learning_rate"}
        assert record["params"] == {key: run.data.params[key] for key in record["params"]}
        history = [m.value for m in client.get_metric_history(run.info.run_id, "val_accuracy")]
        assert record["metrics"] == {"val_accuracy": run.data.metrics["val_accuracy"],
                                     "best_val_accuracy": max(history),
                                     "test_accuracy": run.data.metrics["test_accuracy"]}
        assert record["duration_s"] == (run.info.end_time - run.info.start_time) / 1000
        assert record["export_version"] == run.data.tags["kpipe.export_version"]
    for name in ("learning_curves.png", "params_vs_val_accuracy.png"):
        assert_png(in_tmp_dir / "plots" / name)
