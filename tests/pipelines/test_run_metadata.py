"""What the MLflow UI shows of a run: description, source, git commit, the strategy as a word, the datasets."""

import json
import subprocess

import mlflow
import numpy as np
import pytest
import yaml
from mlflow import MlflowClient

from data.examples import Examples
from data.labels import detection_labels, ragged
from pipelines import tags as tag
from pipelines.datasets import CONTEXTS, dataset_schema, dataset_source
from pipelines.run_metadata import git_tags
from pipelines.tracking_uri import default_tracking_uri

DESCRIPTION = "Tiny CNN on digits, for the run-metadata test."


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def no_git_above(in_tmp_dir, monkeypatch):
    """Git looks for work trees no higher than the test's folder (which is in none)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(in_tmp_dir))
    return in_tmp_dir


@pytest.fixture
def repo(no_git_above):
    """A git work tree with one commit holding README.md."""
    folder = no_git_above / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "README.md").write_text("specs\n")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def head(folder) -> str:
    return subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def write_spec(folder, spec: dict):
    spec = {**spec, "description": DESCRIPTION, "export": {**spec["export"], "enabled": False}}
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_a_run_records_description_source_commit_strategy_and_datasets(repo, no_git_above, fast_spec):
    from pipelines.runner import run

    spec_path = write_spec(repo, fast_spec)
    git(repo, "add", "tiny.yaml")
    git(repo, "commit", "-q", "-m", "spec")
    (repo / "README.md").write_text("changed, not committed\n")
    inside = run(str(spec_path))
    outside = run(write_spec(no_git_above, fast_spec))

    client = MlflowClient(default_tracking_uri())
    record = client.get_run(inside.run_id)
    run_tags = record.data.tags
    assert run_tags["mlflow.note.content"] == DESCRIPTION
    assert run_tags["mlflow.source.name"] == str(spec_path.resolve())
    assert run_tags["mlflow.source.type"] == "LOCAL"
    assert run_tags["mlflow.source.git.commit"] == head(repo)
    assert run_tags[tag.GIT_DIRTY] == "true"
    assert run_tags[tag.STRATEGY] == "default"

    inputs = {i.tags[0].value: i.dataset for i in record.inputs.dataset_inputs}
    assert sorted(inputs) == sorted(CONTEXTS)
    counts = {"training": "data_train_examples", "validation": "data_validation_examples",
              "test": "data_test_examples"}
    for context, dataset in inputs.items():
        assert dataset.name == "digits" and dataset.source_type == "sklearn"
        profile = json.loads(dataset.profile)
        assert profile["num_examples"] == record.data.metrics[counts[context]]
        assert profile["fingerprint"] == run_tags["data.fingerprint"]
        assert sum(profile["class_counts"].values()) == profile["num_examples"]
        schema = mlflow.data.schema.TensorDatasetSchema.from_dict(json.loads(dataset.schema))
        assert schema.features.inputs[0].shape == (-1, 8, 8, 1)
    assert sum(json.loads(d.profile)["num_examples"] for d in inputs.values()) == 1797
    assert len({d.digest for d in inputs.values()}) == 3

    other = client.get_run(outside.run_id)
    assert other.info.status == "FINISHED"
    assert other.data.tags["mlflow.source.name"] == str((no_git_above / "tiny.yaml").resolve())
    assert "mlflow.source.git.commit" not in other.data.tags and tag.GIT_DIRTY not in other.data.tags
    same_split = {i.tags[0].value: i.dataset.digest for i in other.inputs.dataset_inputs}
    assert same_split == {context: d.digest for context, d in inputs.items()}  # same data, same split

    found = mlflow.search_runs(experiment_names=["tiny"], output_format="list",
                               filter_string=f"dataset.name = 'digits' AND dataset.digest = "
                                             f"'{inputs['test'].digest}' AND dataset.context = 'test'")
    assert {r.info.run_id for r in found} == {inside.run_id, outside.run_id}
    assert not mlflow.search_runs(experiment_names=["tiny"], output_format="list",
                                  filter_string="dataset.name = 'iris'")


def test_git_tags_name_the_commit_and_whether_the_tree_is_dirty(repo, no_git_above):
    spec = repo / "spec.yaml"
    spec.write_text("name: x\n")
    assert git_tags(spec) == {"mlflow.source.git.commit": head(repo), tag.GIT_DIRTY: "true"}  # spec not committed
    git(repo, "add", "spec.yaml")
    git(repo, "commit", "-q", "-m", "spec")
    (repo / "notes.txt").write_text("untracked, not the spec\n")
    assert git_tags(spec)[tag.GIT_DIRTY] == "false"
    (repo / "README.md").write_text("edited\n")
    assert git_tags(spec) == {"mlflow.source.git.commit": head(repo), tag.GIT_DIRTY: "true"}


def test_no_git_tags_outside_a_work_tree_before_a_commit_or_without_git(no_git_above, monkeypatch):
    outside = no_git_above / "spec.yaml"
    outside.write_text("name: x\n")
    assert git_tags(outside) == {}
    empty = no_git_above / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert git_tags(empty / "spec.yaml") == {}
    monkeypatch.setenv("PATH", str(no_git_above / "nowhere"))
    assert git_tags(outside) == {}


def test_strategies_read_as_words():
    import tensorflow as tf

    from pipelines.strategy import select_strategy, strategy_name

    assert strategy_name(tf.distribute.get_strategy()) == "default"
    assert strategy_name(select_strategy("cpu")) == "one_device"
    assert strategy_name(tf.distribute.MirroredStrategy(["/cpu:0"])) == "mirrored"


def read_back(schema: dict):
    """The schema as MLflow reads it (the UI renders the same JSON)."""
    from mlflow.data.schema import TensorDatasetSchema
    from mlflow.types import Schema

    if "mlflow_tensorspec" in schema:
        return TensorDatasetSchema.from_dict(schema)
    return Schema.from_json(json.dumps(schema["mlflow_colspec"]))


def decode(path):
    return path


@pytest.mark.parametrize("examples, names", [
    (Examples(np.zeros((2, 3), "float32"), np.array([[1, 0], [0, 1]]), ["a", "b"]), ["features"]),
    (Examples({"age": [31.0, np.nan], "city": ["Oslo", ""]}, np.array([1.5, 2.0]),
              columns={"age": "numeric", "city": "categorical"}), ["age", "city", "label"]),
    (Examples(np.array(["Alice sleeps"], object), ragged([[0, 1]]), ["B-PER", "O"]), ["tokens", "tags"]),
    (Examples(np.array(["a.png"]), detection_labels([{"boxes": [[1, 2, 5, 6]], "classes": [0]}]), ["cat"], decode,
              kind="detection"), ["image", "boxes", "classes"]),
    (Examples(np.array(["a.png"]), np.array(["a_mask.png"]), ["sky"], decode, kind="segmentation",
              decode_label=decode), ["image", "mask"]),
    (Examples(np.array(["a.png", "b.png"]), np.array([0, 1]), ["cat", "dog"], decode, image_shape=(8, 8, 3)),
     ["image", "label"]),
])
def test_every_kind_of_examples_has_a_schema_mlflow_reads(examples, names):
    read = read_back(dataset_schema(examples))
    columns = read.features.inputs if hasattr(read, "features") else read.inputs
    assert [c.name for c in columns] == names


def test_a_folder_source_is_local_and_named_after_the_folder(tmp_path):
    (tmp_path / "pets").mkdir()
    name, source_type, source = dataset_source(f"image_folder:{tmp_path / 'pets'}")
    assert (name, source_type, source) == ("pets", "local", {"uri": str((tmp_path / "pets").resolve())})
    assert dataset_source("tfds:mnist/train") == ("mnist/train", "tfds", {"uri": "tfds:mnist/train"})
