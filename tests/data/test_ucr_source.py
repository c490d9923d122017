"""The `ucr` source: UCR/UEA `.ts` and UCR 2018 `.tsv` files the test writes; the archive's split kept."""

import numpy as np
import pytest

from data.errors import BadRecordError
from data.sources.ucr import UcrOptions, load_ucr
from pipelines import components  # noqa: F401  (fills the registries)
from pipelines import registry

UNIVARIATE = "# a comment\n@problemName Toy\n@timeStamps false\n@univariate true\n@equalLength false\n" \
             "@classLabel true up down\n@data\n"
MULTIVARIATE = "@problemName Toy\n@univariate false\n@dimensions 2\n@classLabel true 1 2 10\n@data\n"


def _problem(tmp_path, train: str, test: str, extension: str = "ts", name: str = "Toy"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}_TRAIN.{extension}").write_text(train)
    (folder / f"{name}_TEST.{extension}").write_text(test)
    return folder


def test_univariate_ts_of_varying_length_keeps_the_archive_split(tmp_path):
    folder = _problem(tmp_path, UNIVARIATE + "1,2,3:up\n4,5:down\n3,2,1:down\n", UNIVARIATE + "6,?,8,9:up\n")
    examples = load_ucr(UcrOptions(path=str(folder)))
    assert examples.kind == "sequences" and examples.inputs.shape == (4, 4, 1)
    assert examples.inputs.dtype == np.float32
    assert examples.inputs[1, :, 0].tolist()[:2] == [4, 5] and np.isnan(examples.inputs[1, 2:]).all()
    assert np.isnan(examples.inputs[3, 1, 0]) and examples.inputs[3, 3, 0] == 9  # '?' is a missing value
    assert examples.class_names == ["down", "up"] and examples.labels.tolist() == [1, 0, 0, 1]
    assert examples.assigned_split.tolist() == ["train", "train", "train", "test"]


def test_multivariate_ts_with_numeric_labels_in_numeric_order(tmp_path):
    train = MULTIVARIATE + "1,2,3:4,5,6:10\n7,8:9,10:2\n"
    folder = _problem(tmp_path, train, MULTIVARIATE + "0,0,0:1,1,1:1\n")
    examples = load_ucr(UcrOptions(path=str(folder)))
    assert examples.inputs.shape == (3, 3, 2)
    assert examples.inputs[0].tolist() == [[1, 4], [2, 5], [3, 6]]
    assert np.isnan(examples.inputs[1, 2]).all()
    assert examples.class_names == ["1", "2", "10"] and examples.labels.tolist() == [2, 1, 0]


def test_tsv_of_the_2018_archive_drops_its_nan_padding(tmp_path):
    folder = _problem(tmp_path, "1\t0.5\t1.5\t2.5\n-1\t3\t4\tNaN\n", "1\t7\t8\t9\n", extension="tsv")
    examples = load_ucr(UcrOptions(path=str(folder)))
    assert examples.inputs.shape == (3, 3, 1) and examples.inputs[0, :, 0].tolist() == [0.5, 1.5, 2.5]
    assert np.isnan(examples.inputs[1, 2, 0]) and examples.class_names == ["-1", "1"]
    assert examples.labels.tolist() == [1, 0, 1] and examples.assigned_split.tolist() == ["train", "train", "test"]


def test_ts_is_preferred_and_format_chooses(tmp_path):
    folder = _problem(tmp_path, UNIVARIATE + "1,2:up\n", UNIVARIATE + "3,4:down\n")
    (folder / "Toy_TRAIN.tsv").write_text("1\t5\t6\t7\n")
    (folder / "Toy_TEST.tsv").write_text("2\t5\t6\t7\n")
    assert load_ucr(UcrOptions(path=str(folder))).inputs.shape == (2, 2, 1)
    assert load_ucr(UcrOptions(path=str(folder), format="tsv")).inputs.shape == (2, 3, 1)


def test_one_file_a_name_and_pooling(tmp_path):
    folder = _problem(tmp_path, UNIVARIATE + "1,2:up\n2,1:down\n", UNIVARIATE + "3,4:down\n", name="Other")
    one = load_ucr(UcrOptions(path=str(folder / "Other_TEST.ts")))
    assert one.size == 1 and one.assigned_split.tolist() == ["test"]
    named = load_ucr(UcrOptions(path=str(folder), name="Other", keep_split=False))
    assert named.size == 3 and named.assigned_split is None
    with pytest.raises(ValueError, match="has no Else_TRAIN.ts and Else_TEST.ts.*Other_TEST.ts.*set `name`"):
        load_ucr(UcrOptions(path=str(folder), name="Else"))


def test_registered_and_documented():
    component = registry.sources.get("ucr")
    assert component.build is load_ucr
    for field in UcrOptions.model_fields.values():
        assert field.description


@pytest.mark.parametrize("line, problem", [
    ("1,2:3,4:up", "2 dimensions, the file's cases have 1"),
    ("1,two,3:up", "dimension 0 step 1: 'two' is not a number"),
    ("1,2,3:left", "class label 'left' is not one of @classLabel up down"),
    ("1,2,3:", "no class label after the last ':'"),
    ("1,inf:up", "dimension 0 step 1: 'inf' is infinite"),
])
def test_bad_ts_lines_name_file_and_line(tmp_path, line, problem):
    folder = _problem(tmp_path, UNIVARIATE + "1,2:up\n" + line + "\n", UNIVARIATE + "1,2:up\n")
    with pytest.raises(BadRecordError) as caught:
        load_ucr(UcrOptions(path=str(folder)))
    assert str(caught.value) == f"bad record in {folder / 'Toy_TRAIN.ts'} line 9: {problem}"


def test_multivariate_dimensions_must_agree_in_length(tmp_path):
    folder = _problem(tmp_path, MULTIVARIATE + "1,2,3:4,5:1\n", MULTIVARIATE + "1:2:1\n")
    with pytest.raises(BadRecordError, match=r"Toy_TRAIN.ts line 6: dimensions differ in length: 3, 2 values"):
        load_ucr(UcrOptions(path=str(folder)))


def test_bad_tsv_line_and_skipping(tmp_path):
    folder = _problem(tmp_path, "1\t1\t2\n1\tx\t2\n2\t3\t4\n", "1\t5\t6\n", extension="tsv")
    with pytest.raises(BadRecordError, match=r"Toy_TRAIN.tsv line 2: step 0: 'x' is not a number"):
        load_ucr(UcrOptions(path=str(folder)))
    skipped = load_ucr(UcrOptions(path=str(folder)), on_bad_record="skip")
    assert skipped.size == 3 and skipped.skipped == 1 and "line 2" in skipped.skipped_records[0]


@pytest.mark.parametrize("header, problem", [
    ("@problemName Toy\n@classLabel false\n@data\n", "needs @classLabel true"),
    ("@problemName Toy\n@timeStamps true\n@classLabel true a\n@data\n", "@timeStamps true is not supported"),
    ("@problemName Toy\n@colour blue\n@classLabel true a\n@data\n", "line 2: unknown header @colour"),
    ("@problemName Toy\n@classLabel true a\n", "has no @data line"),
])
def test_bad_headers_name_the_file(tmp_path, header, problem):
    folder = _problem(tmp_path, header, UNIVARIATE)
    with pytest.raises(ValueError, match=problem) as caught:
        load_ucr(UcrOptions(path=str(folder)))
    assert "Toy_TRAIN.ts" in str(caught.value)


def test_train_and_test_must_agree(tmp_path):
    folder = _problem(tmp_path, UNIVARIATE + "1,2:up\n", UNIVARIATE.replace("up down", "up left") + "1,2:up\n")
    with pytest.raises(ValueError, match="Toy_TEST.ts declares @classLabel up left"):
        load_ucr(UcrOptions(path=str(folder)))
    lonely = tmp_path / "Lonely"
    lonely.mkdir()
    (lonely / "Lonely_TRAIN.ts").write_text(UNIVARIATE + "1,2:up\n")
    with pytest.raises(ValueError, match="has Lonely_TRAIN.ts but not Lonely_TEST.ts"):
        load_ucr(UcrOptions(path=str(lonely)))
    with pytest.raises(ValueError, match="no file or folder at"):
        load_ucr(UcrOptions(path=str(tmp_path / "nowhere")))


def test_sequence_classification_carves_validation_from_train(tmp_path):
    """The archive gives train and test; the task takes `data.split.validation` of train, stratified."""
    from pipelines.spec_loading import load_spec

    rows = "".join(f"{i},{i + 1},{i + 2}:{'up' if i % 2 else 'down'}\n" for i in range(20))
    folder = _problem(tmp_path, UNIVARIATE + rows, UNIVARIATE + "1,2,3:up\n3,2,1:down\n")
    spec = load_spec({
        "name": "toy", "task": "sequence_classification",
        "data": {"source": {"type": "ucr", "path": str(folder)}, "split": {"validation": 0.2}},
        "model": {"backbone": {"source": "builtin", "name": "fcn"}},
    })
    task = registry.tasks.get("sequence_classification").build(spec)
    examples = load_ucr(UcrOptions(path=str(folder)))
    train, validation, test = task.split(examples, seed=0)
    assert (train.size, validation.size, test.size) == (16, 4, 2)
    assert sorted(validation.labels.tolist()) == [0, 0, 1, 1]
    assert task.split(examples, seed=0)[1].inputs.tolist() == validation.inputs.tolist()
