"""Forecasting end to end on the shipped demand spec, cut small: baselines on the same windows, quantiles, the export."""

from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from pipelines.cli import main
from pipelines.runner import run
from serving.loading import load_export
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPEC = REPO / "pipelines" / "specs" / "demand.yaml"


@pytest.fixture(scope="module")
def demand_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecasting")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        spec = yaml.safe_load(SPEC.read_text())
        spec["data"]["source"]["path"] = str(REPO / spec["data"]["source"]["path"])
        spec["model"]["head"]["quantiles"] = [0.1, 0.5, 0.9]
        spec["training"].update(epochs=1, steps_per_epoch=20, verbose=0)
        spec["tracking"]["log_model"] = False
        spec["export"].update(gates=[], parity_samples=4, warmup_samples=1)
        result = run(spec)
    return SimpleNamespace(result=result, export=root / result.export_path, root=root)


def test_the_model_is_scored_next_to_naive_forecasts_of_the_same_windows(demand_run):
    result = demand_run.result
    metrics = MlflowClient(result.tracking_uri).get_run(result.run_id).data.metrics
    for name in ("test_mase", "test_mae", "test_rmse", "test_smape", "test_last_value_baseline_mase",
                 "test_seasonal_naive_baseline_mase", "test_mase_over_seasonal_naive", "test_interval_coverage"):
        assert name in metrics, name
    assert metrics["test_mase_over_seasonal_naive"] == pytest.approx(
        metrics["test_mase"] - metrics["test_seasonal_naive_baseline_mase"])
    assert metrics["test_interval_nominal"] == pytest.approx(0.8)
    # six stores, one week each, a window every step: 168 - 24 + 1 windows per store
    assert metrics["data_test_examples"] == 6 * (168 - 24 + 1)
    artifacts = {a.path for a in MlflowClient(result.tracking_uri).list_artifacts(result.run_id, "plots")}
    assert {"plots/forecasts.png", "plots/errors_by_step.png"} <= artifacts
    table = MlflowClient(result.tracking_uri).download_artifacts(result.run_id, "errors_by_step.csv", str(demand_run.root))
    lines = open(table).read().splitlines()
    assert lines[0].startswith("step,model_mae,model_mase,last_value_mae") and len(lines) == 1 + 24


def test_the_export_answers_forecasts_and_quantiles_and_refuses_bad_histories(demand_run):
    serve = load_export(demand_run.export).signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    steps, values = inputs["history"].shape[1], inputs["history"].shape[2]
    assert values == 3  # demand, temperature, then the planned promotion
    assert inputs["timestamps"].dtype == tf.int64  # calendar features inside
    assert inputs["future"].shape[1:] == (24, 1)  # the promotion planned for each forecast hour
    assert steps >= 168  # lag 168 needs a week of history
    window = np.random.default_rng(0).normal(100, 5, (2, steps, values)).astype("float32")
    seconds = tf.constant(1_700_000_000 + 3600 * np.arange(steps)[None].repeat(2, 0), tf.int64)
    future = tf.zeros((2, 24, 1))
    answer = serve(history=tf.constant(window), timestamps=seconds, future=future)
    later = serve(history=tf.constant(window), timestamps=seconds + 3 * 86400, future=future)  # other weekdays
    promoted = serve(history=tf.constant(window), timestamps=seconds, future=tf.ones((2, 24, 1)))
    assert not np.allclose(answer["forecast"], later["forecast"])
    assert not np.allclose(answer["forecast"], promoted["forecast"])
    assert answer["forecast"].shape == (2, 24) and answer["quantiles"].shape == (2, 24, 3)
    assert np.all(answer["quantiles"][..., 0] <= answer["quantiles"][..., 2] + 1e-3)
    window[0, 3, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="history must hold finite numbers"):
        serve(history=tf.constant(window), timestamps=seconds, future=future)
    expected = f"history must be \\[batch, {steps} steps, 3 values per step \\(demand, temperature, promotion\\)\\]"
    with pytest.raises(tf.errors.InvalidArgumentError, match=expected):
        serve(history=tf.zeros((1, steps + 1, values)), timestamps=tf.zeros((1, steps + 1), tf.int64),
              future=future[:1])
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError, TypeError)):
        serve(history=tf.zeros((1, steps, values + 1)), timestamps=seconds[:1], future=future[:1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="timestamps must be"):
        serve(history=tf.zeros((1, steps, values)), timestamps=seconds[:1, :-1], future=future[:1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="future must be \\[batch, 24 forecast steps, 1 known"):
        serve(history=tf.zeros((1, steps, values)), timestamps=seconds[:1], future=future[:1, :-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="future must hold finite numbers"):
        serve(history=tf.zeros((1, steps, values)), timestamps=seconds[:1], future=future[:1] + np.nan)


def test_kpipe_predict_prints_one_row_per_forecast_step(demand_run, tmp_path, capsys):
    serve = load_export(demand_run.export).signatures["serving_default"]
    steps = serve.structured_input_signature[1]["history"].shape[1]
    rows = ["timestamp,demand,temperature,promotion",
            *(f"2024-03-{1 + i // 24:02d}T{i % 24:02d}:00,{100 + i % 24},{10.5},0" for i in range(steps + 5))]
    planned = [f"2024-03-20T{i:02d}:00,,,{int(i < 6)}" for i in range(24)]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows + planned) + "\n")
    capsys.readouterr()
    assert main(["predict", str(demand_run.export), "--series", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "forecast" in printed and "quantiles" in printed
    assert sum(line.strip().startswith(("│ 24 ", "│  24 ", "| 24")) or " 24 │" in line for line in printed.splitlines())
    path.write_text("\n".join(rows + planned[:3]) + "\n")
    assert main(["predict", str(demand_run.export), "--series", str(path)]) != 0
    assert "known values of 24 forecast steps" in capsys.readouterr().err
    path.write_text("timestamp,demand,temperature,promotion\n2024-03-01T00:00,1,2,0\n" + "\n".join(planned) + "\n")
    assert main(["predict", str(demand_run.export), "--series", str(path)]) != 0
    assert f"takes {steps} steps, the file has 1" in capsys.readouterr().err
    path.write_text("\n".join(row.partition(",")[2] for row in rows + planned) + "\n")
    assert main(["predict", str(demand_run.export), "--series", str(path)]) != 0
    assert "add a first column named timestamp" in capsys.readouterr().err
