"""A team's tracking server: run, compare, promote and sweep against `mlflow server` on PostgreSQL.

The server (`tests/tracking_server.py`) proxies artifacts, so a run's artifact URI is
`mlflow-artifacts:/...` and every file goes through the server's HTTP API.
"""

import argparse
import copy
import json
import shutil
import threading

import mlflow
import pytest
import yaml
from mlflow import MlflowClient

from pipelines.cli import main
from tests.helpers import TINY
from tests.tracking_server import tracking_server  # noqa: F401  (a pytest fixture)

pytestmark = pytest.mark.slow


def tiny_file(folder, name="tiny", **changes):
    spec = copy.deepcopy(TINY)
    spec["name"] = name
    spec["training"]["epochs"] = 2
    spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    for key, value in changes.items():
        spec[key] = {**spec.get(key, {}), **value}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def runs_of(client, experiment):
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.fixture
def server(tracking_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server.uri)
    return tracking_server


def test_run_compare_and_promote_against_the_server(server, in_tmp_dir, capsys):
    spec = tiny_file(in_tmp_dir, "served")
    assert main(["run", str(spec)]) == 0
    client = MlflowClient(server.uri)
    (record,) = runs_of(client, "served")
    run_id = record.info.run_id
    assert record.info.status == "FINISHED"
    assert record.info.artifact_uri.startswith("mlflow-artifacts:/")
    assert record.data.params["training.epochs"] == "2"
    assert [m.step for m in client.get_metric_history(run_id, "val_accuracy")] == [0, 1]
    assert "test_accuracy" in record.data.metrics
    assert {"spec.yaml", "plots", "report.html"} <= {a.path for a in client.list_artifacts(run_id)}
    assert (server.artifacts / record.info.experiment_id).is_dir()  # stored by the server, not by the client
    contexts = {tag.value for ds in record.inputs.dataset_inputs for tag in ds.tags}
    assert {"training", "validation", "test"} <= contexts
    models = {m.name: m for m in client.search_logged_models([record.info.experiment_id])}
    assert {"model", "servable"} <= set(models)
    assert models["model"].source_run_id == run_id
    loaded = mlflow.pyfunc.load_model(models["model"].model_uri)  # through the server's artifact proxy
    assert loaded.metadata.model_id == models["model"].model_id and loaded.metadata.run_id == run_id

    capsys.readouterr()
    assert main(["compare", "--experiment", "served", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["run_id"] == run_id and row["status"] == "FINISHED"
    assert row["metrics"]["val_accuracy"] == record.data.metrics["val_accuracy"]

    assert main(["promote", "--run", run_id, "--alias", "champion"]) == 0
    version = client.get_model_version_by_alias("served", "champion")
    assert version.run_id == run_id
    assert models["servable"].model_id in version.source  # the export as a pyfunc model, registered


def test_a_sweep_puts_its_trials_under_one_parent_on_the_server(server, in_tmp_dir):
    spec = tiny_file(in_tmp_dir, "swept", training={**TINY["training"], "epochs": 1},
                     tracking={"log_model": False}, export={"enabled": False})
    assert main(["sweep", str(spec), "--grid", "model.head.dropout=0.1,0.3"]) == 0
    client = MlflowClient(server.uri)
    runs = runs_of(client, "swept")
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 2 and len(runs) == 3
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert parent.data.tags["kpipe.best_run_id"] in {c.info.run_id for c in children}
    assert any(a.path == "plots" for a in client.list_artifacts(parent.info.run_id))


# --- the server going away mid-run ------------------------------------------------------------------

def outage(server, come_back: bool):
    """A Keras callback that stops the tracking server after the first epoch, and maybe starts it again."""
    import keras

    class Outage(keras.callbacks.Callback):
        restart = None

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                server.stop()
                if come_back:  # in the background: training goes on while the server starts
                    self.restart = threading.Thread(target=server.start)
                    self.restart.start()

    return Outage()


def outage_spec(name):
    spec = copy.deepcopy(TINY)
    spec["name"] = name
    spec["training"]["epochs"] = 4
    spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    return spec


def assert_complete(client, run_id, epochs=4):
    record = client.get_run(run_id)
    assert record.info.status == "FINISHED"
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert sorted(m.step for m in client.get_metric_history(run_id, key)) == list(range(epochs)), key
    assert {"test_accuracy", "time_total_s"} <= set(record.data.metrics)
    assert record.data.params["training.epochs"] == str(epochs)
    assert record.data.tags["kpipe.export_gate"] == "passed"
    assert {"spec.yaml", "plots", "report.html"} <= {a.path for a in client.list_artifacts(run_id)}
    assert "training_curves.png" in {a.path.split("/")[-1] for a in client.list_artifacts(run_id, "plots")}
    assert {"training", "validation", "test"} <= {t.value for d in record.inputs.dataset_inputs for t in d.tags}
    models = client.search_logged_models([record.info.experiment_id],
                                         filter_string=f"source_run_id = '{run_id}'")
    assert sorted(m.name for m in models) == ["model", "servable"]
    assert {m.status.value for m in models} == {"READY"}
    return record


def test_a_server_that_goes_away_and_comes_back_loses_nothing(server, in_tmp_dir, capsys):
    from pipelines.runner import run

    callback = outage(server, come_back=True)
    result = run(outage_spec("outage"), callbacks=[callback])
    callback.restart.join()
    assert server.server.healthy()
    err = capsys.readouterr().err
    assert "is unreachable" in err and "is back" in err
    assert_complete(MlflowClient(server.uri), result.run_id)
    assert not list((in_tmp_dir / ".kpipe").glob("*.pending"))  # everything sent, nothing left behind


def test_a_server_that_never_comes_back_leaves_records_that_upload_completely(server, in_tmp_dir, capsys,
                                                                              monkeypatch, request):
    from pipelines.cli import tracking_upload
    from pipelines.runner import run

    monkeypatch.setenv("KPIPE_TRACKING_OFFLINE_WAIT_S", "1")
    try:
        result = run(outage_spec("lost"), callbacks=[outage(server, come_back=False)])
    finally:
        err = capsys.readouterr().err
        restart = threading.Thread(target=server.start)  # back for the tests after this one
        restart.start()
        request.addfinalizer(restart.join)
    folder = in_tmp_dir / ".kpipe" / f"{result.run_id}.pending"
    assert f"kpipe tracking upload {folder}" in err
    assert result.metrics["test_accuracy"] > 0  # training and export went on without the server

    parser = argparse.ArgumentParser(prog="kpipe")
    tracking_upload.add_parser(parser.add_subparsers(dest="command"))

    def upload(*argv):
        args = parser.parse_args(["tracking", "upload", *argv])
        return args.handler(args)

    copy_of = shutil.copytree(folder, in_tmp_dir / "copy.pending")
    local = f"sqlite:///{in_tmp_dir}/fresh.db"
    assert upload(str(copy_of), "--tracking-uri", local) == 0  # a store that never saw the run: all of it
    client = MlflowClient(local)
    (fresh,) = runs_of(client, "lost")
    assert_complete(client, fresh.info.run_id)
    assert not copy_of.exists()

    restart.join()
    assert upload(str(folder)) == 0  # the server, back: the same run gets the rest and ends FINISHED
    assert_complete(MlflowClient(server.uri), result.run_id)
    assert not folder.exists()
