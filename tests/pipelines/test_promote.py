"""`kpipe promote`: registry version, alias and TF Serving version label follow promotions and rollbacks."""

import pytest
from google.protobuf import text_format
from mlflow import MlflowClient
from tensorflow_serving.config import model_server_config_pb2

from pipelines.cli import main
from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri
from serving.config import read_version_labels, write_models_config


def served(config_path):
    """{model: (versions served, version labels)} of a models.config."""
    config = text_format.Parse(config_path.read_text(), model_server_config_pb2.ModelServerConfig())
    return {entry.name: (list(entry.model_version_policy.specific.versions), dict(entry.version_labels))
            for entry in config.model_config_list.config}


def tree(folder):
    return {path.relative_to(folder): (path.stat().st_mtime_ns, path.stat().st_size)
            for path in sorted(folder.rglob("*"))}


# --- models.config labels, without MLflow ---------------------------------------------------------

def test_labels_pin_versions_and_survive_a_new_export(tmp_path):
    for version in ("1", "2"):
        (tmp_path / "digits" / version).mkdir(parents=True)
    (tmp_path / "other" / "1").mkdir(parents=True)
    path = write_models_config(tmp_path, labels={"digits": {"champion": 1, "challenger": 2}})
    assert served(path) == {"digits": ([1, 2], {"champion": 1, "challenger": 2}), "other": ([], {})}
    (tmp_path / "digits" / "3").mkdir()
    write_models_config(tmp_path)  # what an export does
    assert read_version_labels(path) == {"digits": {"champion": 1, "challenger": 2}}
    write_models_config(tmp_path, labels={"digits": {"champion": 3}})
    assert served(path)["digits"] == ([2, 3], {"champion": 3, "challenger": 2})


def test_labels_need_the_version_folder(tmp_path):
    (tmp_path / "digits" / "1").mkdir(parents=True)
    with pytest.raises(ValueError, match="does not hold"):
        write_models_config(tmp_path, labels={"digits": {"champion": 7}})
    (tmp_path / "digits" / "2").mkdir()
    write_models_config(tmp_path, labels={"digits": {"champion": 2}})
    (tmp_path / "digits" / "2").rmdir()
    assert served(write_models_config(tmp_path)) == {"digits": ([], {})}


# --- refusals, on runs written straight to MLflow ---------------------------------------------------

def test_runs_without_a_good_export_are_refused(in_tmp_dir, capsys):
    client = MlflowClient(default_tracking_uri())
    experiment = client.create_experiment("tiny")
    (in_tmp_dir / "serving" / "models" / "tiny" / "1").mkdir(parents=True)

    def finished(**tags):
        run_id = client.create_run(experiment, tags=tags).info.run_id
        client.set_terminated(run_id, "FINISHED")
        return run_id

    refused = {
        finished(**{"kpipe.export_gate": "failed", "kpipe.export_gate_reason": "test_accuracy >= 0.99 (got 0.9)"}):
            "failed its export gate (test_accuracy >= 0.99",
        finished(): "has no export to promote",
        finished(**{"kpipe.export_gate": "passed", "kpipe.export_path": "serving/models/tiny/9"}): "is not there",
        finished(**{"kpipe.export_gate": "passed", "kpipe.export_path": "serving/models/tiny/1"}):
            "logged no model",
        client.create_run(experiment).info.run_id: "is RUNNING; only a FINISHED run",
        "0123abc": "no run '0123abc'",
    }
    for run_id, reason in refused.items():
        assert main(["promote", "--run", run_id]) == 2
        assert reason in capsys.readouterr().err
    assert main(["promote", "--rollback"]) == 2
    assert "models promoted as 'champion': none" in capsys.readouterr().err
    assert not client.search_registered_models()
    assert not (in_tmp_dir / "serving" / "models" / "models.config").exists()


# --- end to end ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_promote_then_rollback_moves_alias_and_models_config(fast_spec, in_tmp_dir, capsys):
    fast_spec["tracking"] = {"log_model": True}
    first, second = run(fast_spec), run(fast_spec)
    base = in_tmp_dir / "serving" / "models"
    exports = tree(base / "tiny")
    client = MlflowClient(default_tracking_uri())

    def champion():
        version = client.get_model_version_by_alias("tiny", "champion")
        return version.run_id, version.tags["kpipe.export_version"], served(base / "models.config")["tiny"]

    assert main(["promote", "--run", first.run_id]) == 0
    assert champion() == (first.run_id, "1", ([1], {"champion": 1}))
    assert main(["promote", "--run", second.run_id, "--alias", "champion"]) == 0
    assert champion() == (second.run_id, "2", ([2], {"champion": 2}))
    assert main(["promote", "--rollback"]) == 0
    assert champion() == (first.run_id, "1", ([1], {"champion": 1}))
    assert str(client.get_model_version_by_alias("tiny", "champion").version) == "1"
    assert main(["promote", "--rollback"]) == 2
    assert "no earlier 'champion' version to roll back to" in capsys.readouterr().err
    assert {str(v.version) for v in client.search_model_versions("name = 'tiny'")} == {"1", "2"}
    assert tree(base / "tiny") == exports
