"""The csv and parquet sources in table mode: typed raw columns, raw targets, bad rows named by row number."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from data.errors import BadRecordError
from data.sources.csv import CsvOptions, load_csv
from data.sources.parquet import ParquetOptions, load_parquet


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_reads_raw_columns_and_string_targets(tmp_path):
    path = _write(tmp_path, "a,b,kind\n1.5,x,dog\n3.25,y,cat\n5,,dog\n")
    examples = load_csv(CsvOptions(path=path, target_column="kind"))
    assert examples.kind == "columns" and examples.class_names == [] and examples.skipped == 0
    assert examples.columns == {"a": "numeric", "b": "categorical"}
    assert examples.inputs["a"].dtype == np.float32 and examples.inputs["a"].tolist() == [1.5, 3.25, 5.0]
    assert examples.inputs["b"].dtype == object and examples.inputs["b"].tolist() == ["x", "y", ""]
    assert examples.labels.dtype == object and examples.labels.tolist() == ["dog", "cat", "dog"]
    assert examples.origin == f"csv:{path}"


def test_numeric_targets_are_float64_and_columns_follow_the_options(tmp_path):
    path = _write(tmp_path, "y;a;b;c\n10;1.5;2;3.5\n9.5;4.5;5;6.5\n2;7.5;8;9.5\n")
    examples = load_csv(CsvOptions(path=path, target_column="y", feature_columns=["c", "a"], delimiter=";"))
    assert list(examples.inputs) == ["c", "a"] and list(examples.columns) == ["c", "a"]
    assert examples.labels.dtype == np.float64 and examples.labels.tolist() == [10.0, 9.5, 2.0]
    assert examples.inputs["c"].tolist() == [3.5, 6.5, 9.5]


def test_missing_feature_values_stay_missing_and_are_not_bad_records(tmp_path):
    path = _write(tmp_path, "n,c,y\n1.5,x,a\noops,,b\n,y,a\n2.5,x,b\n")
    examples = load_csv(CsvOptions(path=path, target_column="y", column_types={"n": "numeric"}))
    assert examples.skipped == 0
    assert examples.inputs["n"].tolist()[0] == 1.5 and np.isnan(examples.inputs["n"][1:3]).all()
    assert examples.inputs["c"].tolist() == ["x", "", "y", "x"]


def test_missing_target_is_a_bad_record_named_by_file_row_and_column(tmp_path):
    path = _write(tmp_path, "a,y\n1.5,x\n2.5,\n")
    with pytest.raises(BadRecordError) as caught:
        load_csv(CsvOptions(path=path, target_column="y"))
    assert f"{path} row 2" in str(caught.value) and "'y'" in str(caught.value) and "missing target" in str(caught.value)


def test_skip_counts_bad_rows_and_keeps_row_numbers(tmp_path):
    # row 2: missing target, row 3: blank line, row 4: too many fields, row 5: infinite numeric target
    path = _write(tmp_path, "a,b,y\n1,2,1.5\n3,4,\n\n5,6,1,7\n,8,inf\n9,10,2.5\n")
    examples = load_csv(CsvOptions(path=path, target_column="y"), on_bad_record="skip")
    assert examples.skipped == 3 and examples.size == 2
    assert examples.labels.tolist() == [1.5, 2.5]
    records = " | ".join(examples.skipped_records)
    assert "row 2: column 'y': missing target" in records and "row 4: expected 3 fields" in records
    assert "row 5: column 'y': target 'inf' is not a finite number" in records


def test_declared_types_win_and_the_others_are_inferred(tmp_path):
    rows = [
        f"{2000 + i % 20}-0{1 + i % 9}-1{i % 10},{'yes' if i % 3 else 'no'},{i % 3 + 1},{i * 1.5},{i % 2},r{i}"
        for i in range(60)
    ]
    path = _write(tmp_path, "when,ok,code,size,flag,y\n" + "\n".join(rows) + "\n")
    examples = load_csv(CsvOptions(path=path, target_column="y", column_types={"flag": "numeric"}))
    assert examples.columns == {
        "when": "datetime", "ok": "boolean", "code": "categorical", "size": "numeric", "flag": "numeric",
    }
    assert examples.inputs["when"][0] == "2000-01-10 00:00:00"
    assert examples.inputs["ok"][:3].tolist() == ["false", "true", "true"]
    assert examples.inputs["code"][:3].tolist() == ["1", "2", "3"]
    assert examples.inputs["flag"].dtype == np.float32


def test_file_and_column_problems_are_clear(tmp_path):
    with pytest.raises(ValueError, match="no table file"):
        load_csv(CsvOptions(path=str(tmp_path / "none.csv"), target_column="y"))
    path = _write(tmp_path, "a,target\n1,x\n")
    with pytest.raises(ValueError, match="no target column 'targt'; did you mean 'target'"):
        load_csv(CsvOptions(path=path, target_column="targt"))
    with pytest.raises(ValueError, match="no feature column 'z'"):
        load_csv(CsvOptions(path=path, target_column="target", feature_columns=["z"]))
    with pytest.raises(ValueError, match="column_types names 'b', which is not a feature column"):
        load_csv(CsvOptions(path=path, target_column="target", column_types={"b": "numeric"}))
    only_target = _write(tmp_path, "y\n1\n", "y.csv")
    with pytest.raises(ValueError, match="no feature columns besides the target column 'y'"):
        load_csv(CsvOptions(path=only_target, target_column="y"))


def test_parquet_through_csv_and_parquet_sources(tmp_path):
    path = str(tmp_path / "t.parquet")
    frame = pd.DataFrame({
        "a": [1.5, None, 3.5], "n": [4, 5, 6],
        "when": pd.to_datetime(["2024-01-02 03:04:05", None, "2024-02-01"], format="ISO8601"),
        "y": ["p", "q", None],
    })
    frame.to_parquet(path)
    with pytest.raises(BadRecordError, match="row 3: column 'y': missing target"):
        load_parquet(ParquetOptions(path=path, target_column="y"))
    via_parquet = load_parquet(ParquetOptions(path=path, target_column="y"), on_bad_record="skip")
    via_csv = load_csv(CsvOptions(path=path, target_column="y"), on_bad_record="skip")
    for examples in (via_parquet, via_csv):
        assert examples.columns == {"a": "numeric", "n": "categorical", "when": "datetime"}
        assert examples.inputs["a"].tolist()[0] == 1.5 and np.isnan(examples.inputs["a"][1])
        assert examples.inputs["n"].tolist() == ["4", "5"]
        assert examples.inputs["when"].tolist() == ["2024-01-02 03:04:05", ""]
        assert examples.labels.tolist() == ["p", "q"] and examples.skipped == 1


def test_table_options_take_exactly_one_mode():
    CsvOptions(path="x.csv", target_column="y")
    CsvOptions(path="x.csv", target_column="y", feature_columns=["a"], column_types={"a": "datetime"})
    CsvOptions(path="x.csv", text_column="t", label_column="y")
    bad = [
        ({}, "no target_column, text_column or tokens_column; give target_column"),
        ({"label_column": "y"}, "label_column goes with text_column"),
        ({"feature_columns": ["a"]}, "no target_column, text_column or tokens_column for feature_columns"),
        ({"target_column": "y", "label_column": "z"}, "target_column cannot go with label_column"),
        ({"target_column": "y", "label_separator": "|"}, "target_column cannot go with label_separator"),
        ({"target_column": "y", "feature_columns": ["a", "y"]}, "'y' cannot also be a feature column"),
        ({"target_column": "y", "column_types": {"y": "numeric"}}, "not the target column 'y'"),
        ({"target_column": "y", "feature_columns": ["a"], "column_types": {"b": "text"}}, "'b', not among"),
        ({"target_column": "y", "column_types": {"a": "number"}}, "numeric"),
        ({"text_column": "t", "label_column": "y", "column_types": {"a": "text"}}, "cannot go with column_types"),
        ({"text_column": "t", "label_column": "y", "feature_columns": ["a"]}, "cannot go with feature_columns"),
        ({"tokens_column": "w", "tags_column": "t", "target_column": "y"}, "cannot go with target_column"),
    ]
    for options, message in bad:
        with pytest.raises(ValidationError, match=message):
            CsvOptions(path="x.csv", **options)
