"""Generated detection scenes: deterministic, boxes tight around visible objects, sizes and classes as asked."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data.sources.coco import CocoOptions, load_coco
from data.synthetic.scenes import CLASS_NAMES, main, write_scenes


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}


def test_same_seed_writes_the_same_bytes(tmp_path):
    first = write_scenes(str(tmp_path / "a"), count=5, seed=3)
    second = write_scenes(str(tmp_path / "b"), count=5, seed=3)
    other = write_scenes(str(tmp_path / "c"), count=5, seed=4)
    a, b, c = _files(first.folder), _files(second.folder), _files(other.folder)
    assert sorted(a) == ["coco.json", *(f"images/scene_00{i}.png" for i in range(5))]
    assert a == b  # no absolute paths in coco.json either
    assert any(a[name] != c[name] for name in a)


def test_boxes_sizes_and_classes(tmp_path):
    scenes = write_scenes(str(tmp_path), count=40, seed=0, size=(72, 88), object_sizes=(14, 30), classes=7)
    assert scenes.class_names == CLASS_NAMES[:7] and scenes.size == (72, 88)
    counts = [len(b) for b in scenes.boxes]
    assert min(counts) >= 1 and max(counts) == 4 and len(set(counts)) >= 3
    assert sorted(set(np.concatenate(scenes.classes).tolist())) == list(range(7))
    for path, boxes in zip(scenes.images, scenes.boxes):
        image = np.asarray(Image.open(path))
        assert image.shape == (72, 88, 3) and image.dtype == np.uint8
        sides = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)
        assert np.all(sides.max(axis=1) >= 14) and np.all(sides.max(axis=1) <= 30)
        assert np.all(sides.min(axis=1) >= 0.75 * sides.max(axis=1) - 1)
        assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 2] <= 88) and np.all(boxes[:, 3] <= 72)


def test_an_object_differs_from_the_background_just_outside_its_box(tmp_path):
    scenes = write_scenes(str(tmp_path), count=20, seed=2)
    contrast = []
    for path, boxes in zip(scenes.images, scenes.boxes):
        image = np.asarray(Image.open(path)).astype(float)
        for x1, y1, x2, y2 in boxes.astype(int):
            inside = image[y1:y2, x1:x2]
            centre = inside[(y2 - y1) // 2, (x2 - x1) // 2]  # every shape covers its box's centre
            contrast.append(np.abs(centre - np.median(image.reshape(-1, 3), axis=0)).max())
    assert np.median(contrast) > 40


def test_coco_json_reads_back_through_the_coco_source(tmp_path):
    scenes = write_scenes(str(tmp_path), count=6, seed=5, classes=10)
    examples = load_coco(CocoOptions(path=scenes.coco))
    assert examples.kind == "detection" and examples.class_names == CLASS_NAMES[:10]
    assert examples.image_sizes.tolist() == [[96, 96]] * 6
    data = json.loads(Path(scenes.coco).read_text())
    assert [c["id"] for c in data["categories"]] == list(range(1, 11))
    assert len(data["annotations"]) == sum(len(b) for b in scenes.boxes)
    first = [a for a in data["annotations"] if a["image_id"] == 1]
    x1, y1, x2, y2 = scenes.boxes[0][0].tolist()
    assert first[0]["bbox"] == [x1, y1, x2 - x1, y2 - y1] and first[0]["category_id"] == scenes.classes[0][0] + 1
    assert all(0 < a["area"] <= a["bbox"][2] * a["bbox"][3] for a in data["annotations"])


@pytest.mark.parametrize("arguments, message", [
    (["--classes", "16"], "classes must be 1 to 15"),
    (["--object-sizes", "20", "100"], "shorter side (96)"),
    (["--count", "0"], "count must be at least 1"),
])
def test_cli_names_bad_arguments(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as raised:
        main([str(tmp_path), *arguments])
    assert raised.value.code == 2 and message in capsys.readouterr().err


def test_cli_writes_the_scenes(tmp_path, capsys):
    main([str(tmp_path), "--count", "3", "--size", "64", "80", "--object-sizes", "12", "24", "--classes", "4"])
    assert "wrote 3 scenes" in capsys.readouterr().out
    assert len(os.listdir(tmp_path / "images")) == 3
