"""Detection and segmentation choose their input size and epochs from the training split, and say when they underfit."""

import pytest

from data.synthetic.shapes import write_shapes
from pipelines import registry
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec, with_choices
from tests.helpers import REPO

SPECS = REPO / "pipelines" / "specs"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return write_shapes(str(tmp_path_factory.mktemp("shapes")), count=12, formats=("coco", "masks"))


def prepared_task(spec_name: str, shapes, overrides=()):
    """The task of a shipped spec on the generated shapes, after it checked and prepared the examples."""
    source = {"shapes_detection": "coco", "shapes_segmentation": "masks"}[spec_name]
    spec = load_spec(SPECS / f"{spec_name}.yaml",
                     [f"data.source={{type: shapes, folder: {shapes.folder}, count: 12, annotations: {source}}}",
                      *overrides])
    examples = registry.sources.get("shapes").build(spec.data.source)
    task = registry.tasks.get(spec.task).build(spec)
    examples = task.read_targets(examples)
    task.check(examples)
    task.prepare(examples, examples)
    return task, examples


def test_detection_chooses_size_epochs_and_early_stopping(shapes):
    task, examples = prepared_task("shapes_detection", shapes)
    choices = {choice.key: choice for choice in task.choose(examples)}
    resize = choices["stages.0.resize"].value
    assert (resize["height"], resize["width"]) == task.model_size
    assert min(task.sizes.object_pixels(*task.model_size)) > 0
    assert 30 <= choices["training.epochs"].value <= 100
    assert {"early_stopping": {"patience": 20}} in choices["training.callbacks"].value
    resolved = with_choices(task.spec, list(choices.values()))
    assert resolved.training.epochs == choices["training.epochs"].value
    assert "12 images" in choices["stages.0.resize"].reason


def test_a_fixed_size_that_shrinks_the_objects_warns_and_explains_an_underfit(shapes, capsys):
    task, examples = prepared_task("shapes_detection", shapes,
                                   ["stages.0.resize={height: 24, width: 24}", "training.epochs=3"])
    assert task.choose(examples) == []  # nothing left to the data
    assert "input too small for the objects: at 24x24" in capsys.readouterr().err
    found = task.underfit(0.02, "mAP@0.5")
    assert found.tags == {"collapse": "underfit"}
    verdict = found.verdicts[0]
    assert verdict.startswith("Underfit: the held-out mAP@0.5 is 0.020")
    assert "set stages.0.resize: auto" in verdict and "training.epochs (now 3)" in verdict
    assert task.underfit(0.5, "mAP@0.5").verdicts == []


def test_segmentation_measures_mask_regions_and_compares_with_all_background(shapes):
    task, examples = prepared_task("shapes_segmentation", shapes)
    choices = {choice.key: choice.value for choice in task.choose(examples)}
    assert choices["stages.0.resize"]["height"] % 16 == 0
    assert "training.epochs" not in choices  # the shipped spec fixes its epochs
    assert task.underfit(0.24, "mean IoU", ("all background", 0.22)).tags == {"collapse": "underfit"}
    assert task.underfit(0.6, "mean IoU", ("all background", 0.22)).verdicts == []


def test_tasks_that_do_not_size_inputs_refuse_resize_auto():
    with pytest.raises(SpecError, match=r"stages.0.resize: task image_classification does not choose it"):
        load_spec(SPECS / "digits.yaml", ["stages.0.resize=auto"])
