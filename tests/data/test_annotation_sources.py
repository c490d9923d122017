"""Annotated-image sources: coco, voc, yolo (detection) and mask_folder (segmentation), on generated shapes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from data.errors import BadRecordError
from data.examples import Examples
from data.sources.coco import CocoOptions, load_coco
from data.sources.mask_folder import MaskFolderOptions, load_mask_folder
from data.sources.voc import VocOptions, load_voc
from data.sources.yolo import YoloOptions, load_yolo
from data.split import split_examples
from data.synthetic import write_shapes

LOADERS = {
    "coco": (CocoOptions, load_coco),
    "voc": (VocOptions, load_voc),
    "yolo": (YoloOptions, load_yolo),
    "masks": (MaskFolderOptions, load_mask_folder),
}


def _load(spec, on_bad_record="error", **changes):
    options, load = LOADERS[{"mask_folder": "masks"}.get(spec["type"], spec["type"])]
    values = {k: v for k, v in spec.items() if k != "type"} | changes
    return load(options(**values), on_bad_record=on_bad_record)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """12 images of two sizes in all four formats, read-only for the tests that share it."""
    return write_shapes(str(tmp_path_factory.mktemp("shapes")), count=12, seed=3)


@pytest.fixture
def small(tmp_path):
    """4 images in all formats, for a test to break."""
    return write_shapes(str(tmp_path / "small"), count=4, seed=5)


# ---------------------------------------------------------------- the three detection formats agree


def test_coco_voc_and_yolo_give_identical_boxes(shapes):
    assert {c for classes in shapes.classes for c in classes.tolist()} == {0, 1, 2}  # every class appears
    voc_spec = {k: v for k, v in shapes.sources["voc"].items() if k != "class_names"}  # class names found
    read = [_load(shapes.sources["coco"]), _load(voc_spec), _load(shapes.sources["yolo"])]
    for examples in read:
        assert examples.kind == "detection" and examples.skipped == 0
        assert examples.class_names == ["circle", "rectangle", "triangle"]
        assert examples.inputs.tolist() == shapes.images
        assert examples.image_sizes.tolist() == [list(size) for size in shapes.sizes]
        assert examples.input_shape == (None, None, 3)
        for label, boxes, classes in zip(examples.labels, shapes.boxes, shapes.classes):
            assert label["boxes"].dtype == np.float32 and label["classes"].dtype == np.int64
            assert np.allclose(label["boxes"], boxes, atol=1e-3, rtol=0)
            assert label["classes"].tolist() == classes.tolist()
    assert {tuple(size) for size in read[0].image_sizes.tolist()} == {(64, 64), (64, 80)}


def test_decode_gives_the_image_at_its_own_size(shapes):
    import tensorflow as tf

    examples = _load(shapes.sources["yolo"])
    for index in (0, 1):
        image = examples.decode(tf.constant(examples.inputs[index]))
        assert image.dtype == tf.uint8 and image.shape == (*examples.image_sizes[index], 3)
        assert np.array_equal(image.numpy(), np.asarray(Image.open(examples.inputs[index])))


def test_detection_examples_split_and_subset(shapes):
    examples = _load(shapes.sources["coco"])
    train, validation, test = split_examples(examples, validation=0.25, test=0.25, seed=0)
    assert [len(p.inputs) for p in (train, validation, test)] == [6, 3, 3]
    for part in (train, validation, test):
        assert part.kind == "detection" and len(part.image_sizes) == len(part.labels)
        for path, label, size in zip(part.inputs, part.labels, part.image_sizes):
            index = shapes.images.index(path)
            assert np.allclose(label["boxes"], shapes.boxes[index]) and tuple(size) == shapes.sizes[index]
    empty = examples.subset(np.array([], dtype="int64"))
    assert len(empty.labels) == 0 and empty.image_sizes.shape == (0, 2)


def test_detection_labels_are_checked():
    def decode(path):
        return path

    with pytest.raises(ValueError, match="x2 > x1"):
        Examples(np.array(["a.png"]), [{"boxes": [[5, 0, 5, 3]], "classes": [0]}], ["a"], decode, kind="detection")
    with pytest.raises(ValueError, match="outside"):
        Examples(np.array(["a.png"]), [{"boxes": [[0, 0, 5, 3]], "classes": [1]}], ["a"], decode, kind="detection")
    with pytest.raises(ValueError, match="decode"):
        Examples(np.array(["a.png"]), [{"boxes": [], "classes": []}], ["a"], kind="detection")
    inferred = Examples(np.array(["a.png"]), [{"boxes": [], "classes": []}], ["a"], decode)
    assert inferred.kind == "detection" and inferred.labels[0]["boxes"].shape == (0, 4)


# ---------------------------------------------------------------- segmentation masks


def test_mask_folder_reads_the_shapes_masks(shapes):
    import tensorflow as tf

    examples = _load(shapes.sources["masks"])
    assert examples.kind == "segmentation" and examples.skipped == 0 and examples.ignore_index is None
    assert examples.class_names == ["background", "circle", "rectangle", "triangle"]
    assert examples.inputs.tolist() == shapes.images and examples.labels.tolist() == shapes.masks
    assert examples.image_sizes.tolist() == [list(size) for size in shapes.sizes]
    for index in (0, 1):
        mask = examples.decode_label(tf.constant(examples.labels[index]))
        assert mask.dtype == tf.uint8 and mask.shape == (*shapes.sizes[index], 1)
        mask = mask.numpy()[..., 0]
        covered = np.zeros(mask.shape, bool)
        for (x1, y1, x2, y2), class_id in zip(shapes.boxes[index].astype(int), shapes.classes[index]):
            rows, columns = np.nonzero(mask[y1:y2, x1:x2] == class_id + 1)
            assert (rows.min(), columns.min(), rows.max() + 1, columns.max() + 1) == (0, 0, y2 - y1, x2 - x1)
            covered[y1:y2, x1:x2] = True
        assert not mask[~covered].any()  # every shape pixel is inside a box
    part = examples.subset(np.array([1, 0]))
    assert part.kind == "segmentation" and part.decode_label is examples.decode_label
    assert part.labels.tolist() == shapes.masks[1::-1] and part.image_sizes.tolist() == examples.image_sizes[1::-1].tolist()


def test_mask_folder_default_class_names_and_ignore_index(small):
    mask = np.array(Image.open(small.masks[0]))
    mask[0, :] = 255
    Image.fromarray(mask).save(small.masks[0])
    spec = {k: v for k, v in small.sources["masks"].items() if k != "class_names"}
    examples = _load(spec, ignore_index=255)
    assert examples.class_names == [f"class_{i}" for i in range(max(int(c.max()) for c in small.classes) + 2)]
    assert examples.ignore_index == 255
    with pytest.raises(BadRecordError, match="class id 255"):
        _load(small.sources["masks"])
    with pytest.raises(ValidationError, match="ignore_index"):
        MaskFolderOptions(images="i", masks="m", class_names=["a", "b"], ignore_index=1)


# ---------------------------------------------------------------- bad records


def _edit_coco(shapes, change):
    path = Path(shapes.sources["coco"]["path"])
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _edit_text(path, old, new):
    text = Path(path).read_text()
    assert old in text
    Path(path).write_text(text.replace(old, new, 1))


def _append(path, line):
    with open(path, "a") as file:
        file.write(line)


def _first_yolo_label(shapes):
    return os.path.join(shapes.sources["yolo"]["labels"], "shape_000.txt")


def _first_voc(shapes):
    return os.path.join(shapes.folder, "voc", "shape_000.xml")


def _coco_box_outside(shapes):
    def change(data):
        data["annotations"][0]["bbox"][0] = data["images"][0]["width"] - 3
    _edit_coco(shapes, change)
    return "coco.json annotation 1", "outside the 64x64 image"


def _coco_unknown_category(shapes):
    _edit_coco(shapes, lambda data: data["annotations"][0].update(category_id=9))
    return "coco.json annotation 1 (", "unknown category_id 9"


def _coco_zero_size(shapes):
    _edit_coco(shapes, lambda data: data["annotations"][0]["bbox"].__setitem__(2, 0))
    return "coco.json annotation 1", "zero or negative size"


def _coco_missing_image(shapes):
    os.remove(shapes.images[0])
    return "coco.json image 1 (", "no such image file"


def _coco_wrong_size(shapes):
    _edit_coco(shapes, lambda data: data["images"][0].update(width=65))
    return "coco.json image 1", "the annotation says the image is 65x64 but it is 64x64"


def _voc_box_outside(shapes):
    _edit_text(_first_voc(shapes), "<xmin>", "<xmin>-")
    return "shape_000.xml object 0", "outside the 64x64 image"


def _voc_unknown_name(shapes):
    _edit_text(_first_voc(shapes), "<name>", "<name>hexagon-")
    return "shape_000.xml object 0", "unknown class 'hexagon-"


def _voc_broken_xml(shapes):
    _edit_text(_first_voc(shapes), "</annotation>", "")
    return "shape_000.xml", "cannot read the XML"


def _voc_missing_image(shapes):
    os.remove(shapes.images[0])
    return "shape_000.xml (", "no such image file"


def _yolo_box_outside(shapes):
    _append(_first_yolo_label(shapes), "0 0.95 0.5 0.2 0.2\n")
    return "shape_000.txt line", "outside the 64x64 image"


def _yolo_unknown_class(shapes):
    _append(_first_yolo_label(shapes), "3 0.5 0.5 0.2 0.2\n")
    return "shape_000.txt line", "unknown class id 3"


def _yolo_bad_line(shapes):
    _append(_first_yolo_label(shapes), "0 0.5 0.5 0.2\n")
    return "shape_000.txt line", "expected `class cx cy w h`"


def _yolo_label_without_image(shapes):
    os.remove(shapes.images[0])
    return "shape_000.txt", "no image named shape_000"


def _masks_image_without_mask(shapes):
    os.remove(shapes.masks[0])
    return "images/shape_000.png", "image without its mask"


def _masks_wrong_size(shapes):
    Image.new("L", (64, 60)).save(shapes.masks[1])
    return "masks/shape_001.png", "the mask is 64x60 but its image"


def _masks_palette(shapes):
    Image.open(shapes.masks[0]).convert("P").save(shapes.masks[0])
    return "masks/shape_000.png", "palette PNG mask"


def _masks_unknown_class(shapes):
    mask = np.array(Image.open(shapes.masks[0]))
    mask[0, 0] = 7
    Image.fromarray(mask).save(shapes.masks[0])
    return "masks/shape_000.png", "class id 7 in the mask, but class_names has 4 classes"


def _masks_mask_without_image(shapes):
    Image.new("L", (64, 64)).save(os.path.join(shapes.masks_folder, "stray.png"))
    return "masks/stray.png", "mask without an image"


def _masks_corrupt_image(shapes):
    Path(shapes.images[0]).write_bytes(b"not a png")
    return "images/shape_000.png", "cannot identify image file"


BREAKS = {
    "coco": [_coco_box_outside, _coco_unknown_category, _coco_zero_size, _coco_missing_image, _coco_wrong_size],
    "voc": [_voc_box_outside, _voc_unknown_name, _voc_broken_xml, _voc_missing_image],
    "yolo": [_yolo_box_outside, _yolo_unknown_class, _yolo_bad_line, _yolo_label_without_image],
    "masks": [_masks_image_without_mask, _masks_wrong_size, _masks_palette, _masks_unknown_class,
              _masks_mask_without_image, _masks_corrupt_image],
}
CASES = [(fmt, brk) for fmt, breaks in BREAKS.items() for brk in breaks]


@pytest.mark.parametrize("fmt, break_it", CASES, ids=[b.__name__.lstrip("_") for _, b in CASES])
def test_bad_record_is_an_error_naming_the_file_or_skipped_and_counted(small, fmt, break_it):
    where, reason = break_it(small)
    spec = small.sources[fmt]
    with pytest.raises(BadRecordError) as caught:
        _load(spec)
    assert where in caught.value.where and small.folder in caught.value.where
    assert reason in caught.value.reason
    examples = _load(spec, on_bad_record="skip")
    assert examples.skipped == 1 and len(examples.skipped_records) == 1
    assert where in examples.skipped_records[0] and reason in examples.skipped_records[0]
    lost = 0 if break_it is _masks_mask_without_image else 1  # a stray mask costs no image
    assert len(examples.inputs) == len(small.images) - lost
    assert len(examples.labels) == len(examples.image_sizes) == len(examples.inputs)


def test_boxes_within_half_a_pixel_are_clamped_not_bad(small):
    def change(data):
        data["annotations"][0]["bbox"] = [-0.4, 0, 10.8, 10]  # x2 = 10.4
    _edit_coco(small, change)
    examples = _load(small.sources["coco"])
    assert examples.labels[0]["boxes"][0].tolist() == pytest.approx([0, 0, 10.4, 10])
    _edit_coco(small, lambda data: data["annotations"][0]["bbox"].__setitem__(0, -0.6))
    with pytest.raises(BadRecordError, match="outside"):
        _load(small.sources["coco"])


def test_coco_annotation_of_an_unknown_image_and_crowds(small):
    _edit_coco(small, lambda data: data["annotations"][0].update(image_id=99))
    with pytest.raises(BadRecordError, match="annotation 1: image_id 99 is not in `images`"):
        _load(small.sources["coco"])
    assert _load(small.sources["coco"], on_bad_record="skip").skipped == 1

    _edit_coco(small, lambda data: data["annotations"][0].update(image_id=1, iscrowd=1))
    crowdless, crowded = _load(small.sources["coco"]), _load(small.sources["coco"], include_crowd=True)
    assert len(crowdless.labels[0]["boxes"]) == len(small.boxes[0]) - 1
    assert len(crowded.labels[0]["boxes"]) == len(small.boxes[0])

    _edit_coco(small, lambda data: data["annotations"].append("not an annotation"))
    with pytest.raises(BadRecordError, match=r"annotations\[\d+\]: an annotation must be an object"):
        _load(small.sources["coco"])


def test_yolo_image_without_labels_has_no_objects(small):
    os.remove(_first_yolo_label(small))
    examples = _load(small.sources["yolo"])
    assert examples.labels[0]["boxes"].shape == (0, 4) and examples.labels[0]["classes"].shape == (0,)


def test_voc_zero_based_coordinates(small):
    spec = small.sources["voc"]
    one_based, zero_based = _load(spec), _load(spec, one_based=False)
    assert np.allclose(zero_based.labels[0]["boxes"][:, :2], one_based.labels[0]["boxes"][:, :2] + 1)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: CocoOptions(path="a.json", typo=1), "typo"),
        (lambda: YoloOptions(images="i", labels="l"), "names"),
        (lambda: YoloOptions(images="i", labels="l", names=[]), "names"),
        (lambda: MaskFolderOptions(images="i", masks="m", ignore_index=256), "ignore_index"),
        (lambda: VocOptions(path="p", class_names=[]), "class_names"),
    ],
)
def test_options_are_validated(make, words):
    with pytest.raises(ValidationError, match=words):
        make()


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "masks"])
def test_missing_folders_or_files_are_clear_errors(tmp_path, fmt):
    spec = {
        "coco": {"type": "coco", "path": str(tmp_path / "none.json")},
        "voc": {"type": "voc", "path": str(tmp_path)},
        "yolo": {"type": "yolo", "images": str(tmp_path / "i"), "labels": str(tmp_path), "names": ["a"]},
        "masks": {"type": "mask_folder", "images": str(tmp_path), "masks": str(tmp_path / "m")},
    }[fmt]
    with pytest.raises(ValueError, match=str(tmp_path)):
        _load(spec)


def test_source_modules_are_registered_and_import_nothing_heavy():
    code = (
        "import sys\n"
        "import data.sources.coco, data.sources.voc, data.sources.yolo, data.sources.mask_folder, data.synthetic\n"
        "from pipelines.registry import sources\n"
        "assert {'coco', 'voc', 'yolo', 'mask_folder'} <= set(sources.names())\n"
        "assert all(c.summary for c in sources)\n"
        "heavy = {'tensorflow', 'PIL', 'numpy', 'keras'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
