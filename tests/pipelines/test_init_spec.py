"""`kpipe init`: a commented spec drafted from a folder or a table, that parses and validates as written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from pipelines.cli import main
from pipelines.init import draft_spec, sanitize_name
from pipelines.init.tables import guess_task
from pipelines.spec_loading import load_spec


@pytest.fixture
def image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (6, 8), dtype=np.uint8)).save(tmp_path / "pets" / name / f"{i}.png")
    return tmp_path / "pets"


@pytest.fixture
def text_folder(tmp_path):
    for name in ("negative", "positive"):
        (tmp_path / "reviews" / name).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "reviews" / name / f"{i}.txt").write_text(f"review {i}: a {name} one, said the reader")
    return tmp_path / "reviews"


@pytest.fixture
def cars(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({
        "Horsepower": rng.normal(100, 20, n).round(1),
        "Origin": rng.choice(["USA", "Japan", "Europe"], n),
        "Cylinders": rng.choice([4, 6, 8], n),
        "MPG": rng.normal(25, 5, n).round(1),
    })
    frame.loc[3, "Horsepower"] = np.nan
    frame.loc[[5, 7], "Origin"] = None
    path = tmp_path / "my cars.csv"
    frame.to_csv(path, index=False)
    return path


def source_of(text: str) -> dict:
    return yaml.safe_load(text)["data"]["source"]


def test_image_folder_drafts_a_valid_image_classification_spec(image_folder, tmp_path, capsys):
    assert main(["init", "pets"]) == 0
    out = capsys.readouterr().out
    assert "wrote pets.yaml" in out and "kpipe run pets.yaml" in out
    spec = yaml.safe_load((tmp_path / "pets.yaml").read_text())
    assert spec["task"] == "image_classification" and spec["name"] == "pets"
    assert spec["data"]["source"] == {"type": "image_folder", "path": "pets", "image_size": [64, 64],
                                      "color_mode": "grayscale"}
    assert spec["model"]["backbone"]["name"] == "cnn"
    loaded = load_spec(tmp_path / "pets.yaml")
    assert loaded.task == "image_classification" and loaded.data.source.type == "image_folder"


def test_text_folder_drafts_a_valid_text_classification_spec(text_folder, tmp_path):
    draft = draft_spec(text_folder, name="reviews-v1")
    assert draft.task == "text_classification" and draft.name == "reviews-v1"
    assert source_of(draft.text)["type"] == "text_files"
    (tmp_path / "reviews.yaml").write_text(draft.text)
    assert load_spec(tmp_path / "reviews.yaml").data.source.path == str(text_folder)


def test_a_table_of_texts_drafts_text_classification(tmp_path):
    rows = [(f"the film number {i} was {'great' if i % 2 else 'dull'} and long and I say so", "pos" if i % 2 else "neg")
            for i in range(20)]
    path = tmp_path / "reviews.csv"
    pd.DataFrame(rows, columns=["review", "sentiment"]).to_csv(path, index=False)
    draft = draft_spec(path, target="sentiment")
    assert draft.task == "text_classification"
    assert source_of(draft.text) == {"type": "csv", "path": str(path), "text_column": "review",
                                     "label_column": "sentiment"}
    (tmp_path / "spec.yaml").write_text(draft.text)
    assert load_spec(tmp_path / "spec.yaml").task == "text_classification"


@pytest.mark.parametrize("target, task", [("MPG", "tabular_regression"), ("Origin", "tabular_classification"),
                                          ("Cylinders", "tabular_classification")])
def test_tables_guess_the_task_from_the_target(cars, target, task):
    draft = draft_spec(cars, target=target)
    spec = yaml.safe_load(draft.text)
    assert draft.task == task == spec["task"] and draft.notes == []
    assert spec["name"] == "my-cars" == spec["export"]["model_name"]
    source = spec["data"]["source"]
    assert source["type"] == "csv" and source["path"] == str(cars) and source["target_column"] == target
    assert target not in source["column_types"]
    assert set(source["column_types"]) == {"Horsepower", "Origin", "Cylinders", "MPG"} - {target}
    assert "1 missing" in draft.text  # a comment per column
    assert spec["model"]["backbone"]["name"] == "mlp" and spec["data"]["batch_size"] == 32


def test_task_override_and_the_default_target(cars, tmp_path, capsys):
    assert main(["init", str(cars), "--task", "tabular_classification", "--output", "out/cars.yaml"]) == 0
    out = capsys.readouterr().out
    assert "target column: 'MPG' (the last column)" in out
    text = (tmp_path / "out" / "cars.yaml").read_text()
    assert yaml.safe_load(text)["task"] == "tabular_classification"
    assert "# Target column: 'MPG' (the last column)" in text
    frame = pd.read_csv(cars).rename(columns={"Origin": "Label"})
    frame.to_parquet(tmp_path / "cars.parquet")
    draft = draft_spec(tmp_path / "cars.parquet")
    assert source_of(draft.text)["target_column"] == "Label" and source_of(draft.text)["type"] == "parquet"
    assert "named like a label" in draft.notes[0]


def test_tabular_drafts_validate(cars, tmp_path):
    for target in ("MPG", "Origin"):
        (tmp_path / "spec.yaml").write_text(draft_spec(cars, target=target).text)
        assert load_spec(tmp_path / "spec.yaml").data.source.type == "csv"


def test_unknown_target_names_it_and_the_closest_column(cars, capsys):
    with pytest.raises(ValueError, match=r"--target 'Horsepowr': no such column; did you mean 'Horsepower'\?"):
        draft_spec(cars, target="Horsepowr")
    assert main(["init", str(cars), "--target", "mpg "]) == 2
    err = capsys.readouterr().err
    assert "'mpg '" in err and "'MPG'" in err and "Traceback" not in err


def test_refuses_to_overwrite_without_force(image_folder, tmp_path, capsys):
    (tmp_path / "spec.yaml").write_text("mine")
    assert main(["init", "pets", "--output", "spec.yaml"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "spec.yaml").read_text() == "mine"
    assert main(["init", "pets", "--output", "spec.yaml", "--force"]) == 0
    assert yaml.safe_load((tmp_path / "spec.yaml").read_text())["task"] == "image_classification"


def test_folders_without_classes_or_files_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        draft_spec(tmp_path / "empty")
    (tmp_path / "one" / "cat").mkdir(parents=True)
    Image.new("L", (4, 4)).save(tmp_path / "one" / "cat" / "a.png")
    with pytest.raises(ValueError, match="at least two"):
        draft_spec(tmp_path / "one")
    (tmp_path / "one" / "dog").mkdir()
    with pytest.raises(ValueError, match="dog has no images"):
        draft_spec(tmp_path / "one")
    with pytest.raises(ValueError, match="no such file or folder"):
        draft_spec(tmp_path / "missing.csv")


def test_guess_task_and_names():
    assert guess_task(pd.Series([True, False, None])) == "tabular_classification"
    assert guess_task(pd.Series([1.0, 2.0, None, 3.0])) == "tabular_classification"  # integers read as float
    assert guess_task(pd.Series(range(100))) == "tabular_regression"
    assert sanitize_name("__my data (v2)") == "my-data-v2"
    with pytest.raises(ValueError, match="--name"):
        draft_spec(".", name="bad name")


@pytest.mark.slow
def test_a_drafted_table_spec_runs_with_no_edit_and_beats_the_mean(tmp_path, capsys):
    """A real table (scikit-learn's diabetes) with some targets missing: init, then run as drafted."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame.loc[[0, 10], "target"] = np.nan
    frame["sex"] = frame["sex"].map({1.0: "female", 2.0: "male"})
    frame.to_csv(tmp_path / "patients.csv", index=False)
    assert main(["init", str(tmp_path / "patients.csv"), "--target", "target", "--output",
                 str(tmp_path / "patients.yaml")]) == 0
    drafted = yaml.safe_load((tmp_path / "patients.yaml").read_text())
    assert drafted["task"] == "tabular_regression" and drafted["data"]["on_bad_record"] == "skip"
    assert drafted["data"]["source"]["column_types"]["sex"] == "categorical"
    capsys.readouterr()
    assert main(["run", str(tmp_path / "patients.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "verdict" in printed and "skipped records" in printed
    from mlflow import MlflowClient

    from pipelines.tracking_uri import default_tracking_uri

    run = MlflowClient(default_tracking_uri()).search_runs(
        [MlflowClient(default_tracking_uri()).get_experiment_by_name("patients").experiment_id])[0]
    metrics = run.data.metrics
    assert metrics["test_mae"] < 0.85 * metrics["test_mean_baseline_mae"]
    assert metrics["test_mae"] <= 1.2 * min(metrics["test_linear_baseline_mae"], metrics["test_tree_baseline_mae"])
