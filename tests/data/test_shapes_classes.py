"""One shape per image: the `objects` option, `annotations: classes` and the generative specs on the shapes."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from data.sources.shapes import MANIFEST, ShapesOptions, load_shapes
from data.synthetic import write_shapes
from data.synthetic.shapes import CLASS_NAMES
from data.synthetic.shapes import main as shapes_main
from pipelines import registry
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

GENERATIVE = ("anomaly", "vae", "gan", "diffusion", "contrastive")
"""The shipped shapes_<name>.yaml specs on one shape per image."""


def _single(folder, **changes):
    values = {"folder": str(folder), "annotations": "classes", "count": 12, "seed": 4, "sizes": [(32, 32)],
              "objects": (1, 1)}
    return ShapesOptions(**(values | changes))


def _pixel_digest(shapes) -> str:
    digest = hashlib.sha256()
    for image, mask, boxes, classes in zip(shapes.images, shapes.masks, shapes.boxes, shapes.classes):
        digest.update(np.asarray(Image.open(image)).tobytes())
        digest.update(np.asarray(Image.open(mask)).tobytes())
        digest.update(boxes.tobytes())
        digest.update(classes.tobytes())
    return digest.hexdigest()


def test_the_default_draws_what_it_drew_before_objects_existed(tmp_path):
    """Pixels, masks, boxes and classes of seed 3 as the generator wrote them before the option (1 to 3 shapes)."""
    shapes = write_shapes(str(tmp_path / "a"), count=6, seed=3, formats=["masks"])
    assert _pixel_digest(shapes) == "708a00e7603dff84ea64d88299cc06a716a8b32ca9d6c37062d705defed668d9"
    explicit = write_shapes(str(tmp_path / "b"), count=6, seed=3, formats=["masks"], objects=(1, 3))
    assert _pixel_digest(explicit) == _pixel_digest(shapes)
    assert not os.path.exists(tmp_path / "a" / "classes")


def test_objects_sets_how_many_shapes_each_image_holds(tmp_path):
    single = write_shapes(str(tmp_path / "single"), count=9, sizes=[(32, 32)], seed=1, objects=(1, 1))
    assert [len(boxes) for boxes in single.boxes] == [1] * 9
    assert single.objects == (1, 1) and sorted(single.sources) == ["classes", "coco", "masks", "voc", "yolo"]
    several = write_shapes(str(tmp_path / "several"), count=9, seed=1, formats=["coco"], objects=(2, 3))
    assert all(2 <= len(boxes) <= 3 for boxes in several.boxes)
    assert {len(boxes) for boxes in several.boxes} == {2, 3}
    for objects in ((0, 1), (2, 1), (1, 4), (1,)):
        with pytest.raises(ValueError, match="objects"):
            write_shapes(str(tmp_path / "bad"), count=1, objects=objects)
    with pytest.raises(ValueError, match=r"classes format needs one shape per image \(objects=\(1, 1\)\)"):
        write_shapes(str(tmp_path / "bad"), count=1, formats=["classes"])


def test_the_class_folders_hold_each_image_under_its_shape(tmp_path):
    shapes = write_shapes(str(tmp_path), count=12, sizes=[(32, 32)], seed=2, objects=(1, 1))
    assert sorted(os.listdir(shapes.classes_folder)) == CLASS_NAMES
    for image, classes in zip(shapes.images, shapes.classes):
        copy = Path(shapes.classes_folder) / CLASS_NAMES[int(classes[0])] / os.path.basename(image)
        assert copy.read_bytes() == Path(image).read_bytes()
    assert sum(len(files) for _, _, files in os.walk(shapes.classes_folder)) == 12
    assert shapes.sources["classes"] == {"type": "image_folder", "path": shapes.classes_folder, "image_size": [32, 32]}


def test_random_colors_leave_the_class_to_the_form(tmp_path):
    by_class = write_shapes(str(tmp_path / "class"), count=30, sizes=[(32, 32)], seed=6, objects=(1, 1))
    random = write_shapes(str(tmp_path / "random"), count=30, sizes=[(32, 32)], seed=6, objects=(1, 1),
                          colors="random")
    assert random.colors == "random" and by_class.colors == "class"

    def fills(shapes):
        """The mean fill color of each class's shapes (from the masks), and how much it varies."""
        found = {}
        for image, mask, classes in zip(shapes.images, shapes.masks, shapes.classes):
            pixels = np.asarray(Image.open(image))[np.asarray(Image.open(mask)) > 0]
            found.setdefault(int(classes[0]), []).append(pixels.mean(axis=0))
        return {c: np.std(colors, axis=0).max() for c, colors in found.items()}

    assert max(fills(by_class).values()) < 20  # a red, a green, a blue, each within 25 per channel
    assert min(fills(random).values()) > 40  # any hue, whatever the class
    for image in random.images:  # bright enough to stand out of the noise (0..90)
        assert np.asarray(Image.open(image)).max() >= 200
    with pytest.raises(ValueError, match="colors must be one of class, random"):
        write_shapes(str(tmp_path / "bad"), count=1, colors="blue")


def test_the_cli_takes_sizes_objects_and_colors(tmp_path, capsys):
    shapes_main([str(tmp_path / "single"), "--count", "6", "--size", "32", "32", "--objects", "1", "1",
                 "--colors", "random"])
    assert "class folders" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "single" / "classes")) == CLASS_NAMES
    assert Image.open(next((tmp_path / "single" / "images").iterdir())).size == (32, 32)
    with pytest.raises(SystemExit):
        shapes_main([str(tmp_path / "bad"), "--count", "2", "--objects", "0", "2"])


def test_annotations_classes_gives_one_label_per_image_the_shape_drawn(tmp_path):
    examples = load_shapes(_single(tmp_path / "shapes"))
    truth = write_shapes(str(tmp_path / "truth"), count=12, sizes=[(32, 32)], seed=4, objects=(1, 1))
    assert examples.kind == "image" and examples.class_names == CLASS_NAMES
    assert examples.image_shape == (32, 32, 3) and examples.labels.shape == (12,) and examples.skipped == 0
    drawn = {os.path.basename(path): int(classes[0]) for path, classes in zip(truth.images, truth.classes)}
    assert {os.path.basename(path): int(label) for path, label in zip(examples.inputs, examples.labels)} == drawn
    for path, label in zip(examples.inputs, examples.labels):
        assert Path(path).parent.name == CLASS_NAMES[label]
    image = examples.decode(str(examples.inputs[0])).numpy()
    assert image.shape == (32, 32, 3) and image.max() > 200  # the shape's bright color on dark noise
    manifest = json.loads((tmp_path / "shapes" / MANIFEST).read_text())
    assert manifest == {"count": 12, "seed": 4, "sizes": [[32, 32]], "objects": [1, 1]}
    colored = load_shapes(_single(tmp_path / "colored", colors="random"))
    assert json.loads((tmp_path / "colored" / MANIFEST).read_text())["colors"] == "random"
    assert colored.kind == "image" and colored.labels.shape == (12,)
    with pytest.raises(ValueError, match=r"colored by class, but the spec asks for .*colors random"):
        load_shapes(_single(tmp_path / "shapes", colors="random"))


def test_classes_with_several_shapes_per_image_is_an_error_naming_the_keys():
    with pytest.raises(ValidationError, match=r"annotations: classes.*objects is \[1, 3\].*set objects: \[1, 1\]"):
        ShapesOptions(folder="shapes", annotations="classes")
    with pytest.raises(ValidationError, match="objects"):
        ShapesOptions(folder="shapes", annotations="coco", objects=(3, 1))
    spec = load_spec(REPO / "pipelines" / "specs" / "shapes_vae.yaml").model_dump(mode="json")
    spec["data"]["source"]["objects"] = [1, 2]
    with pytest.raises(SpecError, match=r"data\.source.*annotations: classes.*objects"):
        load_spec(spec)


def test_a_folder_written_before_objects_existed_reads_as_one_to_three_shapes(tmp_path):
    folder = tmp_path / "shapes"
    write_shapes(str(folder), count=3, seed=5)
    (folder / MANIFEST).write_text(json.dumps({"count": 3, "seed": 5, "sizes": [[64, 64], [64, 80]]}))  # as before
    examples = load_shapes(ShapesOptions(folder=str(folder), annotations="coco", count=3, seed=5))
    assert examples.kind == "detection" and examples.size == 3
    explicit = load_shapes(ShapesOptions(folder=str(folder), annotations="yolo", count=3, seed=5, objects=(1, 3)))
    assert explicit.size == 3
    with pytest.raises(ValueError, match=r"written with count 3, seed 5.*1 to 3 shapes per image.*1 shape per image"):
        load_shapes(ShapesOptions(folder=str(folder), annotations="classes", count=3, seed=5, objects=(1, 1)))
    one = load_shapes(_single(tmp_path / "single"))
    with pytest.raises(ValueError, match=r"1 shape per image, colored by class, but the spec asks for .*1 to 3 shapes per image"):
        load_shapes(ShapesOptions(folder=str(tmp_path / "single"), annotations="coco", count=12, seed=4,
                                  sizes=[(32, 32)]))
    assert one.size == 12


def test_the_generative_shapes_specs_share_their_data_sets_and_their_tasks_accept_them(tmp_path):
    sources = {}
    for name in GENERATIVE:
        spec = load_spec(REPO / "pipelines" / "specs" / f"shapes_{name}.yaml")
        source = spec.data.source
        assert (source.type, source.annotations, tuple(source.objects)) == ("shapes", "classes", (1, 1))
        recipe = source.model_dump(mode="json", exclude={"annotations", "folder", "colors"})
        sources.setdefault(json.dumps(recipe, sort_keys=True), set()).add((source.folder, source.colors))
        assert Path(REPO / "pipelines" / "specs" / f"shapes_{name}.yaml").read_text().count("Measured:") == 1
        small = load_spec(spec.model_dump(mode="json"),
                          [f"data.source.folder={tmp_path / source.colors}", "data.source.count=30"])
        examples = registry.sources.get("shapes").build(small.data.source)
        task = registry.tasks.get(small.task).build(small)
        task.check(task.read_targets(examples))
    # one count, seed and size; one folder per colors (written once, read by every spec on it)
    assert list(sources.values()) == [{("data/generated/shapes_single", "class"),
                                       ("data/generated/shapes_colors", "random")}]


def test_random_hue_turns_the_hue_and_keeps_batch_shapes():
    """The augmentation shapes_contrastive.yaml takes, so that a shape's color cannot tell it from the others."""
    import tensorflow as tf

    from data.stages.augmentations import FactorOptions

    layer = registry.augmentations.get("random_hue").build(FactorOptions(factor=0.9), value_range=(0, 1), seed=3)
    red = np.zeros((16, 8, 8, 3), "float32")
    red[..., 0] = 1.0
    batch = {"images": tf.constant(red), "labels": tf.one_hot(np.arange(16) % 3, 3)}
    out = layer(batch, training=True)
    assert out["images"].shape == (16, 8, 8, 3) and out["labels"].shape == (16, 3)
    pixels = out["images"].numpy()[:, 0, 0]
    assert len({tuple(np.round(p, 2)) for p in pixels}) > 8  # turned by a different amount per image
    assert pixels.min() >= 0 and pixels.max() <= 1
