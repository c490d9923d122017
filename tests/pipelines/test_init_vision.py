"""`kpipe init` on annotated images: COCO, VOC, YOLO and mask folders drafted, measured and commented."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from data.object_sizes import box_sizes, input_size
from data.synthetic.shapes import CLASS_NAMES, write_shapes
from models.tasks.object_detection import ObjectDetection
from pipelines.cli import main
from pipelines.init import draft_spec
from pipelines.spec_loading import load_spec

COUNT = 12


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """12 generated shapes images with every annotation format, under <tmp>/shapes (read only: copy to change)."""
    return write_shapes(str(tmp_path_factory.mktemp("vision") / "shapes"), count=COUNT)


def copy_of(shapes, tmp_path):
    return shutil.copytree(shapes.folder, tmp_path / "shapes")


@pytest.mark.parametrize("given, task, source_type", [
    ("coco.json", "object_detection", "coco"),
    ("voc", "object_detection", "voc"),
    ("labels", "object_detection", "yolo"),
    ("masks", "semantic_segmentation", "mask_folder"),
])
def test_each_layout_drafts_its_task_and_source_with_the_measured_sizes(shapes, tmp_path, given, task, source_type):
    draft = draft_spec(f"{shapes.folder}/{given}")
    spec = yaml.safe_load(draft.text)
    assert draft.task == spec["task"] == task
    assert draft.name == spec["name"] == f"shapes-{'detection' if task == 'object_detection' else 'segmentation'}"
    assert spec["data"]["source"]["type"] == source_type
    assert spec["stages"][0] == {"resize": "auto"}
    assert spec["training"]["epochs"] == "auto"
    assert f"Measured on all {COUNT} images:" in draft.text
    assert "shorter side 10th percentile" in draft.text  # ObjectSizes.summary
    (tmp_path / "spec.yaml").write_text(draft.text)
    loaded = load_spec(tmp_path / "spec.yaml")
    assert loaded.task == task and loaded.data.source.type == source_type


def test_the_comments_state_what_was_measured_and_the_size_auto_picks(shapes):
    draft = draft_spec(shapes.sources["coco"]["path"])
    truth = box_sizes(shapes.sizes, [{"boxes": boxes} for boxes in shapes.boxes])
    height, width = input_size(truth, smallest=ObjectDetection.smallest_object,
                               multiple=ObjectDetection.input_multiple)
    objects = sum(len(boxes) for boxes in shapes.boxes)
    assert f"3 classes (circle, rectangle, triangle) in {COUNT} images" in draft.text
    assert f"{objects} boxes, {objects / COUNT:.1f} per image" in draft.text
    assert f"{height}x{width} on this data" in draft.text
    assert "10th percentile" in draft.text and "median" in draft.text
    spec = yaml.safe_load(draft.text)
    assert spec["data"]["source"] == {"type": "coco", "path": shapes.sources["coco"]["path"]}
    assert spec["model"]["backbone"]["name"] == "YOLOV8Backbone"
    assert spec["model"]["head"]["detection"]["max_detections"] == 20
    assert draft.notes == []


def test_a_folder_with_several_layouts_names_the_path_of_each_and_task_narrows_it(shapes, capsys):
    with pytest.raises(ValueError, match="several layouts") as error:
        draft_spec(shapes.folder)
    for given in ("coco.json", "voc", "labels", "masks"):
        assert f"kpipe init {shapes.folder}/{given}" in str(error.value)
    draft = draft_spec(shapes.folder, task="semantic_segmentation")
    assert yaml.safe_load(draft.text)["data"]["source"]["type"] == "mask_folder"
    assert main(["init", shapes.folder, "--task", "object_detection"]) == 2
    err = capsys.readouterr().err
    assert "labels" in err and "Traceback" not in err


def test_the_cli_writes_a_spec_that_validates_and_says_which_names_to_write(shapes, tmp_path, capsys):
    assert main(["init", f"{shapes.folder}/labels", "--name", "boxes"]) == 0
    out = capsys.readouterr().out
    assert "no class names found" in out and "wrote boxes.yaml (object_detection)" in out
    spec = yaml.safe_load((tmp_path / "boxes.yaml").read_text())
    assert spec["data"]["source"]["names"] == ["class_0", "class_1", "class_2"]
    assert main(["validate", "boxes.yaml"]) == 0


def test_standard_folder_names_and_class_name_files_are_read(shapes, tmp_path):
    root = copy_of(shapes, tmp_path)
    (root / "data.yaml").write_text(yaml.safe_dump({"names": dict(enumerate(CLASS_NAMES))}))
    source = yaml.safe_load(draft_spec(root / "labels").text)["data"]["source"]
    assert source["names"] == CLASS_NAMES
    (root / "masks" / "classes.txt").write_text("\n".join(["background", *CLASS_NAMES]) + "\n")
    draft = draft_spec(root / "masks")
    assert yaml.safe_load(draft.text)["data"]["source"]["class_names"] == ["background", *CLASS_NAMES]
    assert draft.notes == []
    # VOC devkit names: Annotations/ beside JPEGImages/ need no options
    (root / "voc").rename(root / "Annotations")
    (root / "images").rename(root / "JPEGImages")
    assert yaml.safe_load(draft_spec(root / "Annotations").text)["data"]["source"] == {"type": "voc",
                                                                                         "path": str(root)}


def test_coco_images_in_a_sibling_folder_and_bad_records(shapes, tmp_path):
    root = copy_of(shapes, tmp_path)
    (root / "annotations").mkdir()
    data = json.loads((root / "coco.json").read_text())
    for image in data["images"]:
        image["file_name"] = image["file_name"].removeprefix("images/")
    (root / "annotations" / "train.json").write_text(json.dumps(data))
    (root / "images" / "shape_003.png").unlink()
    draft = draft_spec(root / "annotations" / "train.json")
    source = yaml.safe_load(draft.text)["data"]["source"]
    assert source["images"] == str(root / "images") and draft.name == "shapes-detection"
    assert yaml.safe_load(draft.text)["data"]["on_bad_record"] == "skip"
    assert "skipped 1 bad record" in draft.notes[0] and "shape_003.png" in draft.notes[0]
    assert f"Measured on all {COUNT - 1} images" in draft.text


def test_a_mask_value_of_255_among_small_ones_is_taken_as_ignore_index(shapes, tmp_path):
    root = copy_of(shapes, tmp_path)
    for mask_path in (root / "masks").iterdir():
        mask = np.asarray(Image.open(mask_path)).copy()
        mask[0, :] = 255
        Image.fromarray(mask).save(mask_path)
    draft = draft_spec(root / "masks")
    source = yaml.safe_load(draft.text)["data"]["source"]
    assert source["ignore_index"] == 255 and len(source["class_names"]) == 4
    (tmp_path / "spec.yaml").write_text(draft.text)
    assert load_spec(tmp_path / "spec.yaml").data.source.ignore_index == 255


def test_data_that_fits_no_layout_says_what_was_looked_for(shapes, tmp_path):
    (tmp_path / "notes.json").write_text(json.dumps({"images": "none here"}))
    with pytest.raises(ValueError, match="not a COCO JSON"):
        draft_spec(tmp_path / "notes.json")
    (tmp_path / "pets" / "cat").mkdir(parents=True)
    with pytest.raises(ValueError, match="--task object_detection: no annotated images.*YOLO .txt labels"):
        draft_spec(tmp_path / "pets", task="object_detection")
    with pytest.raises(ValueError, match="--target"):
        draft_spec(shapes.sources["coco"]["path"], target="label")
    with pytest.raises(ValueError, match="--task semantic_segmentation: .* it holds COCO JSON"):
        draft_spec(shapes.sources["coco"]["path"], task="semantic_segmentation")


@pytest.mark.slow
def test_a_drafted_detection_spec_runs_as_written(shapes, tmp_path, capsys):
    """kpipe init, then kpipe run for one epoch: resize: auto and epochs: auto resolve, the export is written."""
    assert main(["init", shapes.sources["coco"]["path"], "--output", "detection.yaml"]) == 0
    assert main(["run", "detection.yaml", "--set", "training.epochs=1", "--set", "training.verbose=0",
                 "--set", "tracking.log_model=false", "--set", "export.parity_samples=2",
                 "--set", "export.warmup_samples=1"]) == 0
    assert list((tmp_path / "serving" / "models" / "shapes-detection").iterdir())
