"""Tables end to end: the shipped tabular specs train, beat their trivial baselines, explain themselves and export
an export that answers raw rows sent in TF Serving's row format."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from pipelines.cli import main
from pipelines.runner import run
from serving.rows_client import rows_request, rows_request_body
from serving.loading import load_export
from tests.helpers import REPO
from tests.serving.tf_serving_json import RequestRefused, inputs_from_body

pytestmark = pytest.mark.slow

SPECS = REPO / "pipelines" / "specs"
CUSTOMERS = REPO / "data" / "samples" / "customers.csv"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The shipped customers (classification) and diabetes (regression) specs, cut to a few epochs."""
    root = tmp_path_factory.mktemp("tables")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        common = ["training.verbose=0", "tracking.log_model=false"]
        customers = run(SPECS / "customers.yaml", overrides=[*common, "training.epochs=8",
                                                                  f"data.source.path={CUSTOMERS}"])
        diabetes = run(SPECS / "diabetes.yaml", overrides=[*common, "training.epochs=30"])
    return SimpleNamespace(root=root, customers=customers, diabetes=diabetes)


def _artifacts(result) -> set[str]:
    """The run's artifact names, plots (under plots/) included."""
    client = MlflowClient(result.tracking_uri)
    names = {item.path for item in client.list_artifacts(result.run_id)}
    return names | {Path(item.path).name for item in client.list_artifacts(result.run_id, "plots")}


def test_classification_beats_the_majority_and_reports_baselines_importance_and_a_verdict(runs):
    metrics = runs.customers.metrics
    assert metrics["test_accuracy"] > metrics["test_majority_baseline_accuracy"] + 0.05
    for key in ("test_roc_auc", "test_f1_macro", "test_linear_baseline_accuracy", "test_tree_baseline_accuracy",
                "test_accuracy_over_tree_baseline"):
        assert key in metrics
    assert runs.customers.verdicts and runs.customers.verdicts[0].startswith("Neural model accuracy")
    assert {"feature_importance.png", "feature_importance.csv", "confusion_matrix.png", "verdicts.txt",
            "label_counts.png"} <= _artifacts(runs.customers)
    table = MlflowClient(runs.customers.tracking_uri).download_artifacts(runs.customers.run_id,
                                                                          "feature_importance.csv")
    assert set(pd.read_csv(table)["column"]) == {"tenure_months", "contract", "region", "monthly_charges",
                                                 "support_calls", "has_support_plan", "signup_date"}


def test_rows_in_tf_serving_row_format_answer_like_the_model(runs):
    rows = pd.read_csv(CUSTOMERS).drop(columns="churned").head(6)
    rows.loc[0, "monthly_charges"] = np.nan      # a missing number
    rows.loc[1, "contract"] = None               # a missing category
    rows.loc[2, "region"] = "atlantis"           # a category never seen in training
    rows.loc[3, "signup_date"] = "not a date"
    serve = load_export(runs.root / runs.customers.export_path).signatures["serving_default"]
    batch = rows_request(serve.structured_input_signature[1], rows)
    body = rows_request_body(batch)
    assert '"monthly_charges": NaN' in body and '"contract": ""' in body
    answered = serve(**inputs_from_body(body, serve))
    expected = np.asarray(runs.customers.model({k: v for k, v in batch.items()}, training=False))
    np.testing.assert_allclose(answered["probabilities"].numpy(), expected, atol=1e-5)
    assert set(answered["class_names"].numpy().astype(str)) <= {"no", "yes"}
    without_key = json.loads(body)
    del without_key["instances"][1]["contract"]
    for refused in (body.replace("NaN", "null", 1), json.dumps(without_key)):  # TF Serving refuses both
        with pytest.raises(RequestRefused):
            inputs_from_body(refused, serve)


def test_kpipe_predict_answers_a_csv_of_rows(runs, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    pd.read_csv(CUSTOMERS).head(3).to_csv(rows, index=False)
    capsys.readouterr()
    assert main(["predict", str(runs.root / runs.customers.export_path), "--rows", str(rows)]) == 0
    captured = capsys.readouterr()
    assert "class_names" in captured.out and "churned" in captured.err  # the target column is ignored, with a note


def test_regression_answers_in_the_targets_units_and_beats_the_mean(runs):
    metrics = runs.diabetes.metrics
    assert metrics["test_mae"] < 0.9 * metrics["test_mean_baseline_mae"] and metrics["test_r2"] > 0.2
    assert {"test_rmse", "test_mape", "test_linear_baseline_mae", "test_tree_baseline_mae"} <= set(metrics)
    assert {"predicted_vs_actual.png", "residuals.png", "feature_importance.png"} <= _artifacts(runs.diabetes)
    from sklearn.datasets import load_diabetes

    table = load_diabetes(as_frame=True).frame.head(8)
    serve = load_export(runs.root / runs.diabetes.export_path).signatures["serving_default"]
    batch = rows_request(serve.structured_input_signature[1], table.drop(columns="target"))
    predictions = serve(**inputs_from_body(rows_request_body(batch), serve))["predictions"].numpy()
    assert predictions.shape == (8,) and 25 <= predictions.min() and predictions.max() <= 346  # the target's range
    logged = MlflowClient(runs.diabetes.tracking_uri).get_run(runs.diabetes.run_id).data.metrics
    assert logged["export_parity_max_rel_diff"] <= 1e-4


def test_the_layers_of_a_regression_export_do_not_need_our_code(runs):
    """TF Serving loads the export as it is: the SavedModel holds the graph, no Python of ours."""
    import subprocess
    import sys

    code = ("import tensorflow as tf, numpy as np; m = tf.saved_model.load(%r); "
            "s = m.signatures['serving_default']; "
            "print(sorted(s.structured_input_signature[1]))") % str(Path(runs.root / runs.diabetes.export_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "age" in out.stdout and "bmi" in out.stdout
