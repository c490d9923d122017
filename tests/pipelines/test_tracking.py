"""Tracking never breaks training: limits, batching and failing servers."""

import contextlib
import warnings

import pytest
from mlflow import MlflowClient

from pipelines.run_metadata import flatten
from pipelines.tracking import Tracker, TrackingWarning
from pipelines.tracking_uri import default_tracking_uri, resolve_tracking_uri


def started(tmp_path):
    tracker = Tracker(resolve_tracking_uri(None), "tracking-test")
    tracker.start(run_name="t")
    return tracker


def test_default_store_is_embedded_sqlite_in_mlruns(in_tmp_dir):
    assert resolve_tracking_uri(None) == f"sqlite:///{in_tmp_dir}/mlruns/mlflow.db"
    assert resolve_tracking_uri("http://tracking:5000") == "http://tracking:5000"


def test_env_uri_wins_over_the_default(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert resolve_tracking_uri(None) == "sqlite:///elsewhere.db"


def test_long_values_are_truncated_and_many_params_batched(tmp_path):
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    tracker = started(tmp_path)
    params = {f"p{i}": i for i in range(250)}
    params["long"] = "x" * (MAX_PARAM_VAL_LENGTH + 500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrackingWarning)
        tracker.log_params(params)
    tracker.finish("FINISHED")
    logged = MlflowClient(default_tracking_uri()).get_run(tracker.run_id).data.params
    assert len(logged) == 251
    assert len(logged["long"]) == MAX_PARAM_VAL_LENGTH


def test_a_failing_server_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    tracker = started(tmp_path)

    def refuse(*args, **kwargs):
        raise ConnectionError("tracking server went away")

    with monkeypatch.context() as patched:
        patched.setattr(tracker.client, "log_batch", refuse)
        with pytest.warns(TrackingWarning, match="went away"):
            tracker.log_metrics({"loss": 1.0}, step=0)
    tracker.finish("FINISHED")
    assert MlflowClient(default_tracking_uri()).get_run(tracker.run_id).info.status == "FINISHED"


def test_an_unreachable_store_turns_tracking_off_with_a_warning(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    tracker = Tracker(f"sqlite:///{tmp_path}/a-file/mlflow.db", "x")
    with pytest.warns(TrackingWarning, match="tracking is off"):
        assert tracker.start() is None
    assert tracker.log_metrics({"loss": 1.0}) is None
    tracker.finish("FINISHED")


def test_failed_runs_carry_the_error(tmp_path):
    tracker = started(tmp_path)
    tracker.finish("FAILED", ValueError("bad record in x.png"))
    record = MlflowClient(default_tracking_uri()).get_run(tracker.run_id)
    assert record.info.status == "FAILED"
    assert record.data.tags["error"] == "ValueError: bad record in x.png"


def test_flatten_gives_dotted_keys():
    assert flatten({"a": {"b": [1, 2]}, "c": [{"d": None}]}) == {"a.b": "[1, 2]", "c.0.d": ""}


def test_worker_role_reads_tf_config(monkeypatch):
    import json

    from pipelines.strategy import worker_role

    cluster = {"worker": ["a:1", "b:2"]}
    for index, chief in ((0, True), (1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        assert worker_role() == (chief, index)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {**cluster, "chief": ["c:3"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert worker_role() == (False, 0)


@pytest.mark.parametrize(("raised", "status"), [(None, "FINISHED"), (ValueError("bad record in x.png"), "FAILED"),
                                                (KeyboardInterrupt(), "KILLED")])
def test_running_always_ends_the_run(in_tmp_dir, raised, status):
    tracker = Tracker(resolve_tracking_uri(None), "tracking-test")
    with pytest.raises(type(raised)) if raised else contextlib.nullcontext():
        with tracker.running("t", {"kpipe.task": "image_classification"}) as run_id:
            assert MlflowClient(default_tracking_uri()).get_run(run_id).info.status == "RUNNING"
            if raised:
                raise raised
    record = MlflowClient(default_tracking_uri()).get_run(run_id)
    assert record.info.status == status
    assert record.data.tags["kpipe.task"] == "image_classification"
    if raised:
        assert record.data.tags["error_type"] == type(raised).__name__
    else:
        assert "error" not in record.data.tags


def test_running_reopens_a_run_to_resume_it(in_tmp_dir):
    tracker = Tracker(resolve_tracking_uri(None), "tracking-test")
    with pytest.raises(KeyboardInterrupt), tracker.running("t") as first:
        raise KeyboardInterrupt
    with Tracker(resolve_tracking_uri(None), "tracking-test").running(resume_run_id=first) as again:
        assert again == first
    assert MlflowClient(default_tracking_uri()).get_run(first).info.status == "FINISHED"


def test_running_without_tracking_yields_no_run_and_passes_errors_on():
    tracker = Tracker("unused", "x", enabled=False)
    with pytest.raises(ValueError, match="boom"), tracker.running("t") as run_id:
        assert run_id is None
        raise ValueError("boom")


def test_a_run_carries_the_description_and_source_also_when_resumed(in_tmp_dir, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(in_tmp_dir))  # no work tree: no git tags
    spec = in_tmp_dir / "spec.yaml"
    spec.write_text("name: t\n")
    with pytest.raises(KeyboardInterrupt), Tracker(resolve_tracking_uri(None), "tracking-test").running(
            "t", description="first words") as first:
        raise KeyboardInterrupt
    assert "mlflow.note.content" in MlflowClient(default_tracking_uri()).get_run(first).data.tags
    with Tracker(resolve_tracking_uri(None), "tracking-test").running(
            resume_run_id=first, description="What it does.", source=spec):
        pass
    tags = MlflowClient(default_tracking_uri()).get_run(first).data.tags
    assert tags["mlflow.note.content"] == "What it does."
    assert (tags["mlflow.source.name"], tags["mlflow.source.type"]) == (str(spec.resolve()), "LOCAL")
    assert "mlflow.source.git.commit" not in tags


def test_a_dataset_the_store_refuses_is_a_warning(tmp_path):
    from pipelines.datasets import SplitDataset

    tracker = started(tmp_path)
    too_long = SplitDataset("digits", "d" * 100, "sklearn", "{}", "{}", "{}", "training")
    with pytest.warns(TrackingWarning, match="log_datasets"):
        tracker.log_datasets([too_long])
    tracker.finish("FINISHED")
    assert not MlflowClient(default_tracking_uri()).get_run(tracker.run_id).inputs.dataset_inputs


def test_a_description_longer_than_a_tag_is_cut_not_refused(tmp_path):
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    tracker = Tracker(resolve_tracking_uri(None), "tracking-test")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrackingWarning)
        tracker.start("t", description="x" * (MAX_TAG_VAL_LENGTH + 10))
    tracker.finish("FINISHED")
    assert len(MlflowClient(default_tracking_uri()).get_run(tracker.run_id).data.tags["mlflow.note.content"]) == \
        MAX_TAG_VAL_LENGTH
