"""The csv and parquet sources: float features, sorted classes, bad rows named by row number."""

import numpy as np
import pandas as pd
import pytest

from data.errors import BadRecordError
from data.sources.csv import CsvOptions, load_csv
from data.sources.parquet import ParquetOptions, load_parquet


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_reads_features_and_string_labels(tmp_path):
    path = _write(tmp_path, "a,b,kind\n1,2.5,dog\n3,4,cat\n5,6,dog\n")
    examples = load_csv(CsvOptions(path=path, label_column="kind"))
    assert examples.inputs.dtype == np.float32 and examples.inputs.shape == (3, 2)
    assert examples.inputs[0].tolist() == [1.0, 2.5]
    assert examples.class_names == ["cat", "dog"]
    assert examples.labels.tolist() == [1, 0, 1]
    assert examples.skipped == 0


def test_integer_labels_sort_numerically_and_columns_follow_the_options(tmp_path):
    path = _write(tmp_path, "y;a;b;c\n10;1;2;3\n9;4;5;6\n2;7;8;9\n")
    examples = load_csv(CsvOptions(path=path, label_column="y", feature_columns=["c", "a"], delimiter=";"))
    assert examples.class_names == ["2", "9", "10"]
    assert examples.labels.tolist() == [2, 1, 0]
    assert examples.inputs.tolist() == [[3, 1], [6, 4], [9, 7]]


def test_bad_value_is_named_by_file_and_row(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,x\n3,4,y\n5,oops,x\n7,8,y\n")
    with pytest.raises(BadRecordError) as caught:
        load_csv(CsvOptions(path=path, label_column="y"))
    assert f"{path} row 3" in str(caught.value) and "'b'" in str(caught.value) and "oops" in str(caught.value)


def test_skip_counts_bad_rows_and_keeps_row_numbers(tmp_path):
    # row 2: missing label, row 3: blank line, row 4: too many fields, row 5: missing value
    path = _write(tmp_path, "a,b,y\n1,2,x\n3,4,\n\n5,6,x,7\n,8,y\n9,10,y\n")
    examples = load_csv(CsvOptions(path=path, label_column="y"), on_bad_record="skip")
    assert examples.skipped == 3
    assert examples.inputs.tolist() == [[1, 2], [9, 10]]
    assert examples.class_names == ["x", "y"]
    records = " | ".join(examples.skipped_records)
    assert "row 2: missing label" in records and "row 4: expected 3 fields" in records
    assert "row 5: column 'a': missing value" in records


def test_missing_label_is_an_error_by_default(tmp_path):
    path = _write(tmp_path, "a,y\n1,x\n2,\n")
    with pytest.raises(BadRecordError, match="row 2: missing label"):
        load_csv(CsvOptions(path=path, label_column="y"))


def test_file_problems_are_clear(tmp_path):
    with pytest.raises(ValueError, match="no table file"):
        load_csv(CsvOptions(path=str(tmp_path / "none.csv"), label_column="y"))
    path = _write(tmp_path, "a,label\n1,x\n")
    with pytest.raises(ValueError, match="did you mean 'label'"):
        load_csv(CsvOptions(path=path, label_column="lable"))
    with pytest.raises(ValueError, match="no feature column 'z'"):
        load_csv(CsvOptions(path=path, label_column="label", feature_columns=["z"]))


def test_parquet_through_csv_and_parquet_sources(tmp_path):
    path = str(tmp_path / "t.parquet")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6], "y": [1, 0, None]})
    frame.to_parquet(path)
    with pytest.raises(BadRecordError, match="row 3: missing label"):
        load_parquet(ParquetOptions(path=path, label_column="y"))
    via_parquet = load_parquet(ParquetOptions(path=path, label_column="y"), on_bad_record="skip")
    via_csv = load_csv(CsvOptions(path=path, label_column="y"), on_bad_record="skip")
    for examples in (via_parquet, via_csv):
        assert examples.inputs.tolist() == [[1, 4], [2, 5]] and examples.inputs.dtype == np.float32
        assert examples.class_names == ["0", "1"] and examples.labels.tolist() == [1, 0]
        assert examples.skipped == 1
