"""Sequence classification data: one series per table row (series_rows), numpy sequences, a given split honoured."""

import numpy as np
import pandas as pd
import pytest

from data.errors import BadRecordError
from data.examples import Examples
from data.sources.numpy import NumpyOptions, load_numpy
from data.sources.series_rows import SeriesRowsOptions, load_series_rows
from data.split import split_examples
from data.synthetic.series import SHAPES, shapes_frame


def _rows(tmp_path, text, **options):
    path = tmp_path / "rows.csv"
    path.write_text(text)
    defaults = {"series_columns": ["x"], "label_column": "label"}
    return str(path), SeriesRowsOptions(path=str(path), **{**defaults, **options})


def test_rows_of_numbers_become_nan_padded_sequences(tmp_path):
    _, options = _rows(tmp_path, 'x,label\n"1 2 3 4",up\n"[4, 3]",down\n"5,6,7",up\n')
    examples = load_series_rows(options)
    assert examples.kind == "sequences" and examples.inputs.shape == (3, 4, 1)
    assert examples.inputs[1, :, 0].tolist()[:2] == [4, 3] and np.isnan(examples.inputs[1, 2:]).all()
    assert examples.class_names == ["down", "up"] and examples.labels.tolist() == [1, 0, 1]
    assert examples.assigned_split is None


def test_several_columns_make_a_multivariate_series(tmp_path):
    _, options = _rows(tmp_path, 'x,y,label\n"1 2","10 20",a\n"3 4 5","30 40 50",b\n', series_columns=["x", "y"])
    examples = load_series_rows(options)
    assert examples.inputs.shape == (2, 3, 2) and examples.inputs[1].tolist() == [[3, 30], [4, 40], [5, 50]]


def test_parquet_list_columns(tmp_path):
    path = tmp_path / "rows.parquet"
    pd.DataFrame({"x": [[1.0, 2.0], [3.0]], "label": [0, 1]}).to_parquet(path)
    examples = load_series_rows(SeriesRowsOptions(path=str(path), series_columns=["x"], label_column="label"))
    assert examples.inputs.shape == (2, 2, 1) and examples.class_names == ["0", "1"]


@pytest.mark.parametrize("row, problem", [
    ('"1 two 3",a', "row 2: column 'x': 'two' is not a number"),
    ('"",a', "row 2: column 'x': no values"),
    ('"1 nan",a', "row 2: column 'x': step 1 is 'nan', not a finite number"),
    ('"1 2",', "row 2: column 'label': no label"),
])
def test_bad_rows_name_file_row_and_column(tmp_path, row, problem):
    path, options = _rows(tmp_path, f'x,label\n"1 2",a\n{row}\n')
    with pytest.raises(BadRecordError) as caught:
        load_series_rows(options)
    assert str(caught.value) == f"bad record in {path} {problem}"


def test_columns_of_different_lengths_and_skipping(tmp_path):
    path, options = _rows(tmp_path, 'x,y,label\n"1 2","3 4",a\n"1 2 3","4 5",b\n"1","2",b\n', series_columns=["x", "y"])
    with pytest.raises(BadRecordError, match="row 2: series columns differ in length: 'x' 3, 'y' 2"):
        load_series_rows(options)
    examples = load_series_rows(options, on_bad_record="skip")
    assert examples.skipped == 1 and examples.size == 2


def test_missing_column_is_named(tmp_path):
    path, options = _rows(tmp_path, 'x,label\n"1",a\n', label_column="class")
    with pytest.raises(ValueError, match=r"no label column 'class'.*columns: x, label"):
        load_series_rows(options)


def test_a_split_column_is_honoured_by_the_split(tmp_path):
    _, options = _rows(tmp_path, 'x,label,part\n"1 2",a,train\n"3",b,test\n"4 5",a,Validation\n"6",b,train\n',
                       split_column="part")
    examples = load_series_rows(options)
    assert examples.assigned_split.tolist() == ["train", "test", "validation", "train"]
    train, validation, test = split_examples(examples, validation=0.5, test=0.1, seed=3)
    assert train.inputs[:, 0, 0].tolist() == [1, 6] and validation.inputs[:, 0, 0].tolist() == [4]
    assert test.inputs[:, 0, 0].tolist() == [3] and train.assigned_split.tolist() == ["train", "train"]


def test_an_unknown_split_value_is_a_bad_row(tmp_path):
    _, options = _rows(tmp_path, 'x,label,part\n"1 2",a,train\n"3",b,holdout\n', split_column="part")
    with pytest.raises(BadRecordError, match="row 2: column 'part': split 'holdout' is not one of train"):
        load_series_rows(options)


def test_assigned_split_needs_training_examples():
    examples = Examples(np.zeros((2, 3, 1), "float32"), np.array([0, 1]), ["a", "b"], kind="sequences",
                        assigned_split=["test", "validation"])
    with pytest.raises(ValueError, match="no training examples"):
        split_examples(examples, validation=0.1, test=0.1, seed=0)


def test_numpy_sequences_keep_nan_padding_and_reject_holes(tmp_path):
    path = str(tmp_path / "s.npz")
    x = np.array([[1, 2, 3], [4, 5, np.nan], [6, np.nan, 7]], "float64")
    np.savez(path, x=x, y=np.array([0, 1, 1]))
    with pytest.raises(BadRecordError, match=r"index 2: key 'x' series: step 1 is missing before the end"):
        load_numpy(NumpyOptions(path=path, kind="sequences"))
    examples = load_numpy(NumpyOptions(path=path, kind="sequences"), on_bad_record="skip")
    assert examples.kind == "sequences" and examples.inputs.shape == (2, 3, 1) and examples.skipped == 1
    np.savez(path, x=np.zeros((2, 5, 3)), y=np.array([0, 1]))
    assert load_numpy(NumpyOptions(path=path, kind="sequences")).inputs.shape == (2, 5, 3)
    np.savez(path, x=np.zeros((2, 4, 4), "uint8"), y=np.array([0, 1]))
    assert load_numpy(NumpyOptions(path=path)).kind == "image"  # the default is unchanged


def test_generated_shapes_differ_in_shape_not_level(tmp_path):
    frame = shapes_frame(count=200, seed=4)
    assert frame.equals(shapes_frame(count=200, seed=4)) and not frame.equals(shapes_frame(count=200, seed=5))
    path = tmp_path / "shapes.csv"
    frame.to_csv(path, index=False)
    examples = load_series_rows(SeriesRowsOptions(path=str(path), series_columns=["values"], label_column="label",
                                                  split_column="split"))
    assert examples.class_names == sorted(SHAPES) and examples.inputs.shape[1] == 64
    levels = np.nanmean(examples.inputs[:, :, 0], axis=1)
    class_levels = [levels[examples.labels == c].mean() for c in range(len(SHAPES))]
    assert np.ptp(class_levels) < 0.5 * levels.std()  # the level says little about the class
    parts = split_examples(examples, validation=0.1, test=0.1, seed=0)
    assert [p.size for p in parts] == [140, 32, 28] and all(set(p.labels) == {0, 1, 2, 3} for p in parts)
