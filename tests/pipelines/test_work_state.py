"""The resume state in a work folder: one small JSON document, written atomically, old files still read."""

import json
import os

import pytest

from pipelines.runner import run_state
from pipelines.sweep import sweep_state
from pipelines.training import phase_state, phase_weights
from pipelines.work_state import WorkState


def test_a_missing_document_reads_empty(tmp_path):
    state = WorkState(tmp_path / "none.json")
    assert not state.exists()
    assert state.read() == {} and state.get("run_id") is None and state.get("done", []) == []
    state.clear()  # nothing to forget is fine


def test_update_merges_keys_and_creates_the_folder(tmp_path):
    path = tmp_path / "deep" / "er" / "state.json"
    WorkState(path).update(parent_run_id="p1", strategy="grid")
    WorkState(path).update(parent_run_id="p2")
    assert json.loads(path.read_text()) == {"parent_run_id": "p2", "strategy": "grid"}
    assert WorkState(path).get("strategy") == "grid"


def test_clear_removes_the_document(tmp_path):
    state = WorkState(tmp_path / "run.json")
    state.update(run_id="abc")
    state.clear()
    assert not state.exists() and state.get("run_id") is None


def test_files_written_before_work_state_still_resume(tmp_path):
    """run.json, phases.json and sweep.json as the earlier RunState/PhaseState/SweepState wrote them."""
    (tmp_path / "run.json").write_text(json.dumps({"run_id": "4b9e"}))
    (tmp_path / "phases.json").write_text(json.dumps({"done": [0]}))
    (tmp_path / "sweep.json").write_text(json.dumps({"parent_run_id": "77aa", "strategy": "random"}))
    assert run_state(tmp_path).exists() and run_state(tmp_path).get("run_id") == "4b9e"
    assert phase_state(tmp_path).get("done") == [0]
    assert phase_weights(tmp_path, 1) == tmp_path / "phase1.weights.h5"
    assert sweep_state(tmp_path).read() == {"parent_run_id": "77aa", "strategy": "random"}


def test_the_formats_written_are_the_old_ones(tmp_path):
    run_state(tmp_path).update(run_id=None)  # tracking off: the run still resumes, with no MLflow run
    phase_state(tmp_path).update(done=[0, 1])
    sweep_state(tmp_path).update(parent_run_id="p", strategy="grid")
    assert json.loads((tmp_path / "run.json").read_text()) == {"run_id": None}
    assert json.loads((tmp_path / "phases.json").read_text()) == {"done": [0, 1]}
    assert json.loads((tmp_path / "sweep.json").read_text()) == {"parent_run_id": "p", "strategy": "grid"}


def test_a_write_that_dies_half_way_leaves_the_previous_document(tmp_path, monkeypatch):
    state = WorkState(tmp_path / "phases.json")
    state.update(done=[0])

    def dies_half_way(document, file):
        file.write('{"done": [0, ')
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        state.update(done=[0, 1])
    monkeypatch.undo()
    assert state.get("done") == [0]
    assert os.listdir(tmp_path) == ["phases.json"]  # no temporary file left behind


def test_the_document_is_replaced_in_one_step(tmp_path, monkeypatch):
    state = WorkState(tmp_path / "run.json")
    state.update(run_id="old")
    replaced = []

    def replace(source, target):
        replaced.append((os.path.dirname(source), json.loads(open(source).read())))
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="went away"):
        state.update(run_id="new")
    monkeypatch.undo()
    assert replaced == [(str(tmp_path), {"run_id": "new"})]  # a whole document, beside the target
    assert state.get("run_id") == "old"
    assert os.listdir(tmp_path) == ["run.json"]
