"""One KerasTuner sweep over several machines: a chief serving the oracle and workers running its trials."""

import os
import subprocess
import sys

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.search import SearchPlan
from pipelines.spec_loading import load_spec
from pipelines.sweep import sweep
from pipelines.sweep_cluster import check_cluster_sweep, cluster_role
from tests.helpers import REPO, TINY
from tests.pipelines.conftest import fast
from tests.tracking_server import free_port

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras_tuner")

RANGE = ["--random", "3", "--range", "model.head.dropout=0:0.5"]


def test_the_role_comes_from_keras_tuners_variables(monkeypatch):
    for name in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)
    assert cluster_role() is None
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    with pytest.raises(RuntimeError, match="KERASTUNER_ORACLE_PORT"):
        cluster_role()
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    assert cluster_role() == "chief"
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner1")
    assert cluster_role() == "tuner1"


def test_a_grid_or_a_resume_is_refused_across_machines(monkeypatch):
    with pytest.raises(ValueError, match="KERASTUNER_TUNER_ID: .* use --random N or --tuner"):
        check_cluster_sweep("grid", resume=False)
    with pytest.raises(ValueError, match="--resume: a sweep over several machines cannot resume"):
        check_cluster_sweep("random", resume=True)
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    with pytest.raises(ValueError, match="KERASTUNER_TUNER_ID"):
        sweep(load_spec(fast(TINY)), SearchPlan(grid={"model.head.dropout": ["0.1", "0.3"]}))


@pytest.mark.slow
def test_a_chief_and_two_workers_run_each_oracle_trial_once_under_one_parent(in_tmp_dir):
    store = f"sqlite:///{in_tmp_dir / 'shared.db'}"
    spec = fast(TINY)
    spec["export"]["enabled"] = False
    spec["tracking"]["tracking_uri"] = store
    MlflowClient(store).search_experiments()  # the tables exist before the machines start, as on a server
    port = str(free_port())
    machines = {}
    for role in ("chief", "tuner0", "tuner1"):  # each in its own folder, as on its own machine
        folder = in_tmp_dir / role
        folder.mkdir()
        (folder / "tiny.yaml").write_text(yaml.safe_dump(spec))
        env = {**os.environ, "KERASTUNER_TUNER_ID": role, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": port, "PYTHONPATH": str(REPO), "KERAS_BACKEND": "tensorflow"}
        machines[role] = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sweep", "tiny.yaml", *RANGE],
                                          cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True)
    try:
        outputs = {role: process.communicate(timeout=420)[0] for role, process in machines.items()}
    finally:
        for process in machines.values():
            process.kill()
    assert {role: process.returncode for role, process in machines.items()} == {
        "chief": 0, "tuner0": 0, "tuner1": 0}, "\n\n".join(f"{r}:\n{o[-3000:]}" for r, o in outputs.items())

    client = MlflowClient(store)
    runs = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    (parent,) = [run for run in runs if "kpipe.sweep" in run.data.tags]
    children = [run for run in runs if "mlflow.parentRunId" in run.data.tags]
    assert parent.info.status == "FINISHED" and parent.data.tags["kpipe.sweep_oracle_port"] == port
    assert len(children) == 3 and {child.info.status for child in children} == {"FINISHED"}
    assert {child.data.tags["mlflow.parentRunId"] for child in children} == {parent.info.run_id}
    assert len({child.data.tags["kpipe.trial"] for child in children}) == 3  # no trial twice
    assert parent.data.tags["kpipe.best_run_id"] in {child.info.run_id for child in children}
    assert not list((in_tmp_dir / "chief").glob(".kpipe/tiny.sweep/trial-*"))  # the chief runs no trial
