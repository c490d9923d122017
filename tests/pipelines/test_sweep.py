"""`kpipe sweep`: trials as MLflow child runs of one parent; failed trials, --resume, KerasTuner oracles."""

import contextlib
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.cli import main
from pipelines.search import (
    GridSearch,
    OracleSearch,
    parse_grid,
    parse_range,
    trial_key,
)
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from pipelines.sweep import objective
from pipelines.sweep_spec import SearchParameter
from pipelines.tracking_uri import default_tracking_uri
from tests.pipelines.conftest import GRID

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras_tuner")


def sweep_runs(uri, experiment="tiny"):
    """The client, the sweep parents and the trial children of an experiment."""
    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id], max_results=1000)
    parents = [run for run in runs if "kpipe.sweep" in run.data.tags]
    children = [run for run in runs if "mlflow.parentRunId" in run.data.tags]
    return client, parents, children


def overrides_of(run) -> dict[str, str]:
    return dict(item.split("=", 1) for item in run.data.tags["kpipe.trial"].split("; "))


# --- search plans, without training ---------------------------------------------------------------

def test_grid_and_range_flags_parse_with_clear_errors():
    assert parse_grid("data.source={type: sklearn, name: digits},{type: numpy, path: x.npz}") == (
        "data.source", ["{type: sklearn, name: digits}", "{type: numpy, path: x.npz}"])
    key, parameter = parse_range("model.head.dropout=0:0.5")
    assert (key, parameter.type, parameter.sampling, parameter.max) == ("model.head.dropout", "float", "linear", 0.5)
    assert parse_range("training.epochs=int:1:3")[1].type == "int"
    with pytest.raises(ValueError, match="--grid expects"):
        parse_grid("model.head.dropout")
    with pytest.raises(ValueError, match="log sampling needs min > 0"):
        parse_range("training.optimizer.learning_rate=log:0:1")


def test_a_grid_proposes_every_combination_once():
    search = GridSearch({"a": ["1", "2"], "b": ["x", "y"]})
    proposed = list(iter(search.propose, None))
    assert proposed == [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]]
    assert trial_key(["b=x", "a=1"]) == "a=1; b=x"


@pytest.mark.parametrize("strategy", ["random", "bayesian", "hyperband"])
def test_an_oracle_proposes_the_same_trials_when_told_the_same_results(strategy, tmp_path):
    space = {"training.optimizer.learning_rate": SearchParameter(type="float", min=1e-4, max=1e-2, sampling="log"),
             "model.head.pooling": SearchParameter(type="choice", values=["avg", "max"])}

    def proposals(folder):
        search = OracleSearch(strategy, space, metric="test_accuracy", mode="max", max_trials=5, seed=3,
                              folder=folder, max_epochs=2, factor=2)
        found = []
        while len(found) < 5 and (overrides := search.propose()) is not None:
            found.append(overrides)
            search.report(0.5 + 0.1 * len(found) if len(found) != 2 else None)
        return found

    first = proposals(tmp_path / "a")
    assert first == proposals(tmp_path / "b")
    assert len(first) >= 3
    assert all(item.split("=")[0] in {*space, "training.epochs"} for overrides in first for item in overrides)
    if strategy == "hyperband":
        assert "training.epochs=1" in first[0]


def test_the_sweep_metric_follows_the_flag_then_the_spec_then_the_gate(fast_spec):
    assert objective(load_spec(fast_spec)) == ("test_accuracy", "max")
    fast_spec["export"]["gates"] = ["test_loss <= 3"]
    assert objective(load_spec(fast_spec)) == ("test_loss", "min")
    assert objective(load_spec(fast_spec), "val_accuracy") == ("val_accuracy", "max")
    fast_spec["sweep"] = {"parameters": {"model.head.dropout": {"type": "float", "min": 0, "max": 0.5}},
                          "metric": "val_loss"}
    assert objective(load_spec(fast_spec)) == ("val_loss", "min")


def test_the_sweep_section_is_checked_like_the_rest_of_the_spec(fast_spec):
    fast_spec["sweep"] = {"parameters": {"model.head.dropout": {"type": "float", "min": 0.5, "max": 0.1},
                                         "model.head.pooling": ["avg", "max"]},
                          "max_trial": 3}
    with pytest.raises(SpecError) as error:
        load_spec(fast_spec)
    text = error.value.render()
    assert "sweep.parameters.model.head.dropout: a float range needs min < max" in text
    assert "sweep.max_trial: unknown key; did you mean 'max_trials'?" in text


def test_bad_sweeps_stop_before_any_run_with_exit_2(fast_spec, in_tmp_dir, capsys):
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(fast_spec))
    assert main(["sweep", "tiny.yaml"]) == 2
    assert "nothing to sweep" in capsys.readouterr().err
    assert main(["sweep", "tiny.yaml", "--grid", "model.head.dropot=0.1,0.2"]) == 2
    assert "model.head.dropot: unknown key" in capsys.readouterr().err
    assert main(["sweep", "tiny.yaml", "--range", "model.head.dropout=0:0.5"]) == 2
    assert "--range needs --random N or --tuner" in capsys.readouterr().err
    assert main(["sweep", "tiny.yaml", "--tuner", "bayesian"]) == 2
    assert "sweep: section" in capsys.readouterr().err
    assert main(["sweep", "tiny.yaml", "--grid", "model.head.dropout=0.1", "--resume"]) == 2
    assert "no unfinished sweep of 'tiny'" in capsys.readouterr().err
    assert not (in_tmp_dir / "mlruns").exists()


# --- sweeps that train ------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_2x2_grid_is_one_parent_with_four_children(grid_sweep):
    assert grid_sweep.code == 0
    client, parents, children = sweep_runs(grid_sweep.uri)
    (parent,) = parents
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["kpipe.sweep"] == "grid"
    assert len(children) == 4
    combos = set()
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["kpipe.sweep_id"] == parent.info.run_id
        overrides = overrides_of(child)
        params = child.data.params
        assert float(params["training.optimizer.learning_rate"]) == float(overrides["training.optimizer.learning_rate"])
        assert float(params["model.head.dropout"]) == float(overrides["model.head.dropout"])
        combos.add((overrides["training.optimizer.learning_rate"], overrides["model.head.dropout"]))
    assert combos == set(itertools.product(["1e-3", "3e-3"], ["0.1", "0.3"]))
    assert len({child.data.params["training.work_dir"] for child in children}) == 4

    scores = {child.info.run_id: child.data.metrics["test_accuracy"] for child in children}
    best = parent.data.tags["kpipe.best_run_id"]
    assert scores[best] == max(scores.values())
    assert parent.data.metrics["best_test_accuracy"] == scores[best]
    (best_child,) = [child for child in children if child.info.run_id == best]
    assert parent.data.tags["kpipe.best_trial"] == best_child.data.tags["kpipe.trial"]
    plots = {item.path for item in client.list_artifacts(parent.info.run_id, "plots")}
    assert plots == {"plots/learning_curves.png", "plots/params_vs_test_accuracy.png"}


@pytest.mark.slow
def test_a_failed_trial_is_recorded_and_the_sweep_goes_on(fast_spec, in_tmp_dir):
    fast_spec["export"]["enabled"] = False
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(fast_spec))
    sources = "data.source={type: image_folder, path: missing},{type: sklearn, name: digits}"
    assert main(["sweep", "tiny.yaml", "--grid", sources]) == 0
    _, (parent,), children = sweep_runs(default_tracking_uri())
    by_status = {child.info.status: child for child in children}
    assert sorted(by_status) == ["FAILED", "FINISHED"]
    assert "missing" in by_status["FAILED"].data.tags["error"]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["kpipe.best_run_id"] == by_status["FINISHED"].info.run_id
    assert parent.data.metrics["trials_failed"] == 1


@pytest.mark.slow
def test_hyperband_trials_train_the_epochs_it_asks_for(fast_spec, in_tmp_dir):
    fast_spec["export"]["enabled"] = False
    fast_spec["sweep"] = {"parameters": {"model.head.dropout": {"type": "float", "min": 0.0, "max": 0.5}},
                          "max_trials": 2, "max_epochs": 2, "factor": 2}
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(fast_spec))
    assert main(["sweep", "tiny.yaml", "--tuner", "hyperband"]) == 0
    client, (parent,), children = sweep_runs(default_tracking_uri())
    assert parent.data.params["sweep.strategy"] == "hyperband"
    assert len(children) == 2
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.params["training.epochs"] == overrides_of(child)["training.epochs"] == "1"
        assert 0.0 <= float(child.data.params["model.head.dropout"]) <= 0.5
        assert [m.step for m in client.get_metric_history(child.info.run_id, "loss")] == [0]


def wait_for_finished_trials(uri, count, proc, log, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before it could be killed: {log.read_text()[-3000:]}")
        if not Path(".kpipe/tiny.sweep/sweep.json").exists():  # the sweep has not made its parent run (nor the
            time.sleep(0.3)                                     # store: reading it now would race its creation)
            continue
        with contextlib.suppress(Exception):  # the store is busy
            _, _, children = sweep_runs(uri)
            if sum(child.info.status == "FINISHED" for child in children) >= count:
                return
        time.sleep(0.3)
    pytest.fail("the sweep never finished its second trial")


@pytest.mark.slow
def test_a_killed_sweep_resumes_without_running_a_trial_twice(fast_spec, in_tmp_dir, capsys):
    fast_spec["export"]["enabled"] = False
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(fast_spec))
    log = in_tmp_dir / "sweep.log"
    with log.open("w") as output:
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sweep", "tiny.yaml", *GRID],
                                stdout=output, stderr=output, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            wait_for_finished_trials(default_tracking_uri(), 2, proc, log)
        finally:
            proc.kill()
            proc.wait()
    _, (killed_parent,), before = sweep_runs(default_tracking_uri())
    finished_before = {c.info.run_id: c.info.end_time for c in before if c.info.status == "FINISHED"}
    assert killed_parent.info.status == "RUNNING"
    assert len(finished_before) >= 2

    assert main(["sweep", "tiny.yaml", *GRID, "--resume"]) == 0
    assert capsys.readouterr().err.count("already FINISHED") == len(finished_before)
    _, (parent,), children = sweep_runs(default_tracking_uri())
    assert parent.info.run_id == killed_parent.info.run_id
    assert parent.info.status == "FINISHED"
    finished = [child for child in children if child.info.status == "FINISHED"]
    assert len(finished) == 4
    assert len({child.data.tags["kpipe.trial"] for child in finished}) == 4
    assert {child.info.status for child in children} <= {"FINISHED", "KILLED"}
    for child in finished:
        if child.info.run_id in finished_before:
            assert child.info.end_time == finished_before[child.info.run_id]
    assert not Path(".kpipe/tiny.sweep/sweep.json").exists()


@pytest.mark.slow
def test_parallel_workers_run_each_proposed_trial_once_as_children_of_one_parent(fast_spec, in_tmp_dir, capsys):
    fast_spec["export"]["enabled"] = False
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(fast_spec))
    assert main(["sweep", "tiny.yaml", "--random", "3", "--range", "model.head.dropout=0:0.5",
                 "--workers", "2"]) == 0
    _, (parent,), children = sweep_runs(default_tracking_uri())
    assert len(children) == 3 and {child.info.status for child in children} == {"FINISHED"}
    assert {child.data.tags["mlflow.parentRunId"] for child in children} == {parent.info.run_id}
    assert len({child.data.tags["kpipe.trial"] for child in children}) == 3  # no trial twice
    logs = sorted((in_tmp_dir / ".kpipe" / "tiny.sweep").glob("trial-*.log"))
    assert [log.name for log in logs] == ["trial-000.log", "trial-001.log", "trial-002.log"]
    assert "started (output:" in capsys.readouterr().err
    assert parent.data.metrics["trials_finished"] == 3
