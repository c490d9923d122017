"""The `shapes` source: writes the generated data set on first use, reads it after, in each annotation format."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import data.synthetic.shapes as synthetic
from data.sources.shapes import MANIFEST, ShapesOptions, load_shapes
from data.synthetic import write_shapes
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO


def _options(folder, annotations="coco", **changes):
    return ShapesOptions(folder=str(folder), annotations=annotations, count=4, seed=5, **changes)


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}


@pytest.fixture
def writes(monkeypatch):
    """The calls to write_shapes, which still writes."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return write_shapes(*args, **kwargs)

    monkeypatch.setattr(synthetic, "write_shapes", counted)
    return calls


def test_first_use_writes_the_data_set_then_reads_it_without_writing_again(tmp_path, writes):
    folder = tmp_path / "generated" / "shapes"  # parents missing too
    first = load_shapes(_options(folder))
    assert len(writes) == 1 and (folder / MANIFEST).is_file()
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    second = load_shapes(_options(folder))
    assert len(writes) == 1  # read, not written again
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before
    assert first.inputs.tolist() == second.inputs.tolist()
    assert os.listdir(tmp_path / "generated") == ["shapes"]  # no staging folder left


def test_writes_the_images_python_m_data_synthetic_shapes_writes(tmp_path):
    """Same count and seed: the same bytes as write_shapes, so the shipped specs' results do not change."""
    load_shapes(_options(tmp_path / "source"))
    direct = write_shapes(str(tmp_path / "direct"), count=4, seed=5)
    generated = _files(tmp_path / "source")
    assert json.loads(generated.pop(MANIFEST)) == {"count": 4, "seed": 5, "sizes": [[64, 64], [64, 80]]}
    assert generated == _files(direct.folder)


def test_each_annotation_format_reads_the_same_images(tmp_path):
    folder = tmp_path / "shapes"
    truth = write_shapes(str(tmp_path / "truth"), count=4, seed=5)
    for annotations in ("coco", "voc", "yolo"):
        examples = load_shapes(_options(folder, annotations))
        assert examples.kind == "detection" and examples.skipped == 0
        assert examples.class_names == ["circle", "rectangle", "triangle"]
        assert [os.path.basename(p) for p in examples.inputs] == [os.path.basename(p) for p in truth.images]
        for label, boxes, classes in zip(examples.labels, truth.boxes, truth.classes):
            np.testing.assert_allclose(label["boxes"], boxes, atol=1e-4)
            assert label["classes"].tolist() == classes.tolist()
    masks = load_shapes(_options(folder, "masks"))
    assert masks.kind == "segmentation"
    assert masks.class_names == ["background", "circle", "rectangle", "triangle"]
    assert [Path(p).read_bytes() for p in masks.labels] == [Path(p).read_bytes() for p in truth.masks]


def test_a_folder_written_by_hand_is_read_as_it_is(tmp_path, writes):
    """As `python -m data.synthetic.shapes` or a test writes it: no shapes.json, count and seed not checked."""
    written = write_shapes(str(tmp_path / "shapes"), count=3, seed=9, formats=("masks",))
    writes.clear()
    examples = load_shapes(_options(tmp_path / "shapes", "masks"))
    assert not writes and len(examples.inputs) == 3
    assert examples.inputs.tolist() == written.images


def test_another_count_seed_or_size_than_the_one_written_is_a_clear_error(tmp_path):
    load_shapes(_options(tmp_path / "shapes"))
    for change in ({"count": 5}, {"seed": 6}, {"sizes": [(64, 64)]}):
        values = {"count": 4, "seed": 5} | change
        with pytest.raises(ValueError, match="holds shapes written with count 4, seed 5.*delete the folder"):
            load_shapes(ShapesOptions(folder=str(tmp_path / "shapes"), annotations="coco", **values))


def test_a_folder_of_something_else_is_a_clear_error(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"no shapes.json and no coco.json.*python -m data.synthetic.shapes"):
        load_shapes(_options(tmp_path / "other"))
    assert os.listdir(tmp_path / "other") == ["notes.txt"]  # left alone
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is not a folder"):
        load_shapes(_options(tmp_path / "file"))


def test_a_failed_write_leaves_no_half_written_data_set(tmp_path, monkeypatch):
    def broken(folder, **kwargs):
        write_shapes(folder, **(kwargs | {"count": 1}))
        raise OSError("disk full")

    monkeypatch.setattr(synthetic, "write_shapes", broken)
    with pytest.raises(OSError, match="disk full"):
        load_shapes(_options(tmp_path / "shapes"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"annotations": "json"}, "annotations"),
    ({"count": 0}, "count"),
    ({"sizes": [[16, 64]]}, "at least 24 pixels"),
    ({"sizes": [64, 64]}, "sizes"),
    ({"images": 10}, "Extra inputs"),
])
def test_bad_options_are_clear_errors(change, message):
    values = {"folder": "shapes", "annotations": "coco"} | change
    with pytest.raises(ValidationError, match=message):
        ShapesOptions(**values)


def test_a_spec_without_annotations_names_the_key_path():
    spec = load_spec(REPO / "pipelines" / "specs" / "shapes_detection.yaml").model_dump(mode="json")
    del spec["data"]["source"]["annotations"]
    with pytest.raises(SpecError, match=r"data\.source\.annotations"):
        load_spec(spec)


def test_the_shipped_specs_share_one_generated_data_set():
    sources = [load_spec(REPO / "pipelines" / "specs" / f"shapes_{task}.yaml").data.source
               for task in ("detection", "segmentation")]
    assert [s.type for s in sources] == ["shapes", "shapes"]
    assert [s.annotations for s in sources] == ["coco", "masks"]
    assert sources[0].model_dump(exclude={"annotations"}) == sources[1].model_dump(exclude={"annotations"})
    assert (sources[0].folder, sources[0].count, sources[0].seed) == ("data/generated/shapes", 160, 0)
