"""Rolling-origin backtest: one child run per fold under a parent, fold metrics and their spread, one export."""

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.runner import run
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPECS = REPO / "pipelines" / "specs"


@pytest.mark.slow
def test_each_fold_is_a_child_run_and_only_the_last_exports(in_tmp_dir):
    spec = yaml.safe_load((SPECS / "demand.yaml").read_text())
    spec["data"]["source"]["path"] = str(REPO / spec["data"]["source"]["path"])
    spec["data"]["split"]["backtest"] = {"folds": 2}
    spec["training"].update(epochs=1, steps_per_epoch=3, verbose=0)
    spec["tracking"] = {"log_model": False}
    spec["export"].update(gates=[], parity_samples=2, warmup_samples=1)
    result = run(spec)
    client = MlflowClient(result.tracking_uri)
    child = client.get_run(result.run_id)
    parent_id = child.data.tags["mlflow.parentRunId"]
    parent = client.get_run(parent_id)
    folds = client.search_runs([child.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    assert sorted(r.data.params["data.split.backtest.fold"] for r in folds) == ["0", "1"]
    exported = {r.data.params["data.split.backtest.fold"]: "kpipe.export_path" in r.data.tags for r in folds}
    assert exported == {"0": False, "1": True} and result.export_path is not None
    metrics = parent.data.metrics
    mases = [metrics["fold_0_test_mase"], metrics["fold_1_test_mase"]]
    assert metrics["backtest_test_mase_mean"] == pytest.approx(sum(mases) / 2)
    assert result.metrics["backtest_test_mase_std"] == pytest.approx(abs(mases[0] - mases[1]) / 2)
    assert "backtest.csv" in {a.path for a in client.list_artifacts(parent_id)}
    assert parent.info.status == "FINISHED"


def test_backtests_and_time_spans_are_refused_where_the_task_does_not_split_by_time():
    with pytest.raises(SpecError, match="data.split.backtest: task image_classification does not split by time"):
        load_spec(SPECS / "digits.yaml", ["data.split.backtest={folds: 3}"])
    with pytest.raises(SpecError, match="data.split.test_steps: task image_classification"):
        load_spec(SPECS / "digits.yaml", ["data.split.test_steps=10"])
    with pytest.raises(SpecError, match="fold must be below folds"):
        load_spec(SPECS / "demand.yaml", ["data.split.backtest={folds: 3, fold: 3}"])
