"""`kpipe init` on captioned images (captioning, dual_encoder) and interaction logs (retrieval, ranking)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from data.synthetic.captioned_shapes import write_captioned_shapes
from data.synthetic.interactions import interactions_frame, item_genres
from pipelines.cli import main
from pipelines.init import draft_spec
from pipelines.init.interactions import interaction_columns
from pipelines.spec_loading import load_spec

COUNT = 24


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    """24 captioned shapes (images/ and captions.csv) under <tmp>/captioned (read only: copy to change)."""
    folder = tmp_path_factory.mktemp("captions") / "captioned"
    write_captioned_shapes(str(folder), count=COUNT, seed=0)
    return folder


def copy_of(captioned, tmp_path):
    return shutil.copytree(captioned, tmp_path / "captioned")


def write_coco_captions(folder, per_image: int = 2):
    """The folder's captions.csv as a COCO captions JSON in annotations/, `per_image` captions per image."""
    rows = list(csv.DictReader(open(folder / "captions.csv", encoding="utf-8")))
    images = [{"id": i, "file_name": row["file"], "height": 32, "width": 48} for i, row in enumerate(rows)]
    annotations = [{"id": len(rows) * k + i, "image_id": i, "caption": ("one more: " * k) + row["caption"]}
                   for k in range(per_image) for i, row in enumerate(rows)]
    (folder / "annotations").mkdir()
    path = folder / "annotations" / "captions_train.json"
    path.write_text(json.dumps({"info": {}, "images": images, "annotations": annotations}))
    return path


@pytest.fixture
def plays(tmp_path):
    """A small interaction log (30 users, 40 items, times and ratings) and its items' genres beside it."""
    interactions_frame(users=30, items=40, groups=4, seed=0).to_csv(tmp_path / "plays.csv", index=False)
    item_genres(items=40, groups=4).to_csv(tmp_path / "plays_items.csv", index=False)
    return tmp_path / "plays.csv"


def header(text: str) -> str:
    """The draft's opening comments as one line (they are wrapped)."""
    return " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))


def validated(text: str, tmp_path):
    (tmp_path / "drafted.yaml").write_text(text)
    return load_spec(tmp_path / "drafted.yaml")


# --- Captioned images --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given", ["captioned", "captioned/captions.csv"])
def test_a_folder_with_a_captions_csv_or_the_csv_drafts_captioning(captioned, tmp_path, given):
    copy_of(captioned, tmp_path)
    draft = draft_spec(given)
    spec = yaml.safe_load(draft.text)
    assert draft.task == spec["task"] == "captioning" and draft.name == "captioned-captioning"
    assert spec["data"]["source"] == {"type": "captions", "folder": "captioned", "captions": "captions.csv",
                                      "file_column": "file", "caption_column": "caption", "image_size": [32, 48]}
    assert spec["model"]["head"]["decoder"]["hidden_dim"] == 96 and spec["data"]["on_bad_record"] == "error"
    assert f"# Image captioning: {COUNT} captions of {COUNT} images from {given}" in draft.text
    assert "images decoded at 32x48, a 24-cell feature map" in header(draft.text)
    loaded = validated(draft.text, tmp_path)
    assert loaded.task == "captioning" and loaded.data.source.type == "captions"


def test_task_dual_encoder_drafts_clip_towers_and_the_cli_writes_it(captioned, tmp_path, capsys):
    copy_of(captioned, tmp_path)
    assert main(["init", "captioned", "--task", "dual_encoder"]) == 0
    assert "wrote captioned-dual-encoder.yaml (dual_encoder)" in capsys.readouterr().out
    spec = yaml.safe_load((tmp_path / "captioned-dual-encoder.yaml").read_text())
    assert spec["task"] == "dual_encoder" and spec["model"]["head"]["image_pooling"] == "flatten"
    assert "class_prompts" not in spec["model"]["head"]  # the shipped spec's are the shapes' own
    assert main(["validate", "captioned-dual-encoder.yaml"]) == 0


def test_a_coco_captions_json_drafts_captioning_with_its_counts(captioned, tmp_path):
    folder = copy_of(captioned, tmp_path)
    path = write_coco_captions(folder)
    draft = draft_spec("captioned/annotations/captions_train.json")
    assert draft.task == "captioning" and draft.name == "captioned-captioning"
    assert yaml.safe_load(draft.text)["data"]["source"] == {
        "type": "captions", "folder": "captioned", "captions": "annotations/captions_train.json", "format": "coco",
        "image_size": [32, 48]}
    assert f"{2 * COUNT} captions of {COUNT} images" in draft.text and "2.0 captions per image" in header(draft.text)
    assert validated(draft.text, tmp_path).data.source.format == "coco"
    # the folder holds the CSV and the JSON: each is named, and either path picks one
    with pytest.raises(ValueError, match=r"several layouts(.|\n)*COCO captions JSON(.|\n)*captions CSV"):
        draft_spec("captioned")
    path.write_text(json.dumps({"images": [], "annotations": [{"id": 1, "image_id": 1}]}))
    with pytest.raises(ValueError, match="not a COCO JSON kpipe init reads: neither boxes .* nor captions"):
        draft_spec(path)


def test_bad_rows_are_counted_and_skipped(captioned, tmp_path):
    folder = copy_of(captioned, tmp_path)
    (folder / "images" / "00003.png").unlink()
    with open(folder / "captions.csv", "a", encoding="utf-8") as file:
        file.write("images/00000.png,\n")
    draft = draft_spec("captioned", task="dual_encoder")
    spec = yaml.safe_load(draft.text)
    assert spec["data"]["on_bad_record"] == "skip" and "2 bad records" in draft.notes[0]
    assert f"{COUNT - 1} captions of {COUNT - 1} images" in draft.text
    assert "2 rows the run leaves out" in header(draft.text) and "no image captioned/images/00003.png" in draft.notes[0]


def test_large_images_keep_the_source_default_size_and_average_pooling(tmp_path):
    from PIL import Image

    (tmp_path / "photos").mkdir()
    rows = ["file,text"]
    for i in range(3):
        Image.new("RGB", (300 + i, 200)).save(tmp_path / "photos" / f"{i}.jpg")
        rows.append(f"{i}.jpg,a photo of a dark room number {i}")
    (tmp_path / "photos" / "notes.csv").write_text("\n".join(rows) + "\n")
    draft = draft_spec("photos", task="dual_encoder")
    spec = yaml.safe_load(draft.text)
    assert "image_size" not in spec["data"]["source"] and spec["data"]["source"]["caption_column"] == "text"
    assert "# image_size: [224, 224]" in draft.text and "stretched to 128x128" in draft.text
    assert spec["model"]["head"]["image_pooling"] == "average"  # 16x16 cells after the CNN


def test_a_csv_of_images_and_one_word_labels_stays_a_table(captioned, tmp_path):
    copy_of(captioned, tmp_path)
    frame = pd.read_csv(tmp_path / "captioned" / "captions.csv")
    frame.assign(label=frame.caption.str.split().str[2], size=range(len(frame)))[["file", "size", "label"]].to_csv(
        tmp_path / "captioned" / "labels.csv", index=False)
    assert draft_spec("captioned/labels.csv").task == "tabular_classification"
    with pytest.raises(ValueError, match="not a captions CSV: no column of captions"):
        draft_spec("captioned/labels.csv", task="captioning")
    with pytest.raises(ValueError, match="--task image_classification needs a folder of class sub-folders"):
        draft_spec("captioned/captions.csv", task="image_classification")


# --- Interaction logs --------------------------------------------------------------------------------------------
def test_an_interaction_log_drafts_retrieval_with_its_columns_and_counts(plays, tmp_path):
    draft = draft_spec(plays)
    spec = yaml.safe_load(draft.text)
    assert draft.task == spec["task"] == "retrieval" and draft.name == "plays-retrieval"
    assert spec["data"]["source"] == {"type": "interactions", "path": str(plays), "user_column": "user_id",
                                      "item_column": "item_id", "timestamp_column": "timestamp",
                                      "rating_column": "rating"}
    frame = pd.read_csv(plays)
    assert f"{len(frame)} interactions of 30 users with {frame.item_id.nunique()} items" in draft.text
    assert f"# items: {{path: {tmp_path / 'plays_items.csv'}, id_column: item_id}}" in draft.text
    assert spec["model"]["head"]["top_k"] == 10 and "split" not in spec["data"]
    assert "interaction log" in draft.notes[0]
    assert validated(draft.text, tmp_path).data.source.type == "interactions"


def test_task_ranking_and_other_column_names(tmp_path, capsys):
    frame = interactions_frame(users=12, items=20, groups=2, seed=1).rename(
        columns={"user_id": "userId", "item_id": "movieId", "rating": "stars"})
    frame.drop(columns="timestamp").to_parquet(tmp_path / "ratings.parquet")
    assert main(["init", "ratings.parquet", "--task", "ranking"]) == 0
    assert "wrote ratings-ranking.yaml (ranking)" in capsys.readouterr().out
    spec = yaml.safe_load((tmp_path / "ratings-ranking.yaml").read_text())
    assert spec["data"]["source"] == {"type": "interactions", "path": "ratings.parquet", "user_column": "userId",
                                      "item_column": "movieId", "rating_column": "stars"}
    assert spec["model"]["head"]["interaction"] == "cross"
    assert "the rows' order is taken as each user's order" in header((tmp_path / "ratings-ranking.yaml").read_text())
    assert main(["validate", "ratings-ranking.yaml"]) == 0
    assert interaction_columns(["Customer ID", "SKU", "created_at", "review_score"]) == {
        "user_column": "Customer ID", "item_column": "SKU", "timestamp_column": "created_at",
        "rating_column": "review_score"}


def test_tables_without_user_and_item_columns_stay_tables(plays, tmp_path):
    pd.DataFrame({"age": [30, 40, 50, 60], "income": [1.0, 2.0, 3.0, 4.5]}).to_csv(tmp_path / "t.csv", index=False)
    assert draft_spec(tmp_path / "t.csv").task == "tabular_regression"
    with pytest.raises(ValueError, match="--task retrieval needs an interaction log .* has age, income"):
        draft_spec(tmp_path / "t.csv", task="retrieval")
    assert draft_spec(plays, target="rating").task == "tabular_classification"  # --target: a table model
    assert draft_spec(plays, task="tabular_regression").task == "tabular_regression"
    with pytest.raises(ValueError, match="--task captioning: .* not a captions CSV"):
        draft_spec(plays, task="captioning")


# --- Drafted specs run -------------------------------------------------------------------------------------------
def cut(text: str) -> dict:
    """A drafted spec cut to two training steps (as tests/test_task_contract.py's `tiny`)."""
    spec = yaml.safe_load(text)
    spec["training"].update(epochs=1, steps_per_epoch=2, verbose=0)
    spec["data"]["batch_size"] = 8
    spec["tracking"] = {"log_model": False}
    spec["export"].update(gates=[], parity_samples=4, warmup_samples=2)
    return spec


@pytest.mark.slow
def test_drafted_captioning_and_retrieval_specs_run_and_export(captioned, plays, tmp_path, capsys):
    from pipelines.runner import run

    copy_of(captioned, tmp_path)
    captioning = cut(draft_spec("captioned").text)
    captioning["model"]["head"]["eval_samples"] = 4
    retrieval = cut(draft_spec("plays.csv").text)
    for spec in (captioning, retrieval):
        result = run(spec)
        assert result.export_path is not None, (spec["task"], result.failed_gates)
        assert Path(result.export_path).is_dir()
