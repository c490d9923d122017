"""data.tabular.columns: conservative type inference, raw column arrays, summaries and serving names."""

import numpy as np
import pandas as pd
import pytest

from data.tabular.columns import (
    COLUMN_TYPES,
    cell_strings,
    column_arrays,
    describe_columns,
    infer_column_type,
    infer_column_types,
    serving_name,
    serving_names,
)


def test_column_types_are_the_five_kinds():
    assert COLUMN_TYPES == ("numeric", "categorical", "boolean", "datetime", "text")


@pytest.mark.parametrize(
    "values, kind",
    [
        (pd.Series([True, False, True]), "boolean"),
        (pd.Series(["Yes", "no", None, "YES"]), "boolean"),
        (pd.Series(["true", "False", ""]), "boolean"),
        (pd.Series(["y", "n", "y"]), "categorical"),  # only true/false/yes/no are boolean words
        (pd.Series([1, 2, 3] * 20), "categorical"),  # integer codes
        (pd.Series([0, 1, 1, 0]), "categorical"),  # two values always pass
        (pd.Series(range(1000)) % 91, "numeric"),  # a count: too many distinct values
        (pd.Series([1, 2, 3, 4, 5] * 10), "numeric"),  # 5 values in 50 rows: more than 5%
        (pd.Series([1.5, 2.25, np.nan]), "numeric"),
        (pd.Series([str(i) for i in range(40)] + ["n/a"]), "numeric"),  # >= 95% numbers
        (pd.Series([str(i) for i in range(10)] + ["n/a"]), "categorical"),  # 91% numbers
        (pd.Series(["2024-01-05", "2024-02-11 08:30", "2023-12-31T23:59:59Z", ""]), "datetime"),
        (pd.Series(["05/01/2020", "Jan 5, 2020", "12.5.2020"]), "datetime"),
        (pd.to_datetime(pd.Series(["2024-01-05", None])), "datetime"),
        (pd.Series(["May", "June", "July"]), "categorical"),  # dateutil reads these, but they hold no year
        (pd.Series(["3-4", "1/2", "5-6"]), "categorical"),
        (pd.Series([f"the quick brown fox {i}" for i in range(10)]), "text"),
        (pd.Series(["the quick brown fox"] * 10), "categorical"),  # long but repeated: a category
        (pd.Series(["red", "green", "red"]), "categorical"),
        (pd.Series([None, "", "  "]), "categorical"),  # nothing at all
    ],
)
def test_infer_column_type(values, kind):
    assert infer_column_type(values) == kind


def test_infer_column_types_skip_the_target_keep_frame_order_and_let_declared_types_win():
    frame = pd.DataFrame({"z": [1.5, 2.5], "y": ["a", "b"], "a": ["x", "y"]})
    assert infer_column_types(frame, target="y") == {"z": "numeric", "a": "categorical"}
    declared = infer_column_types(frame, target="y", declared={"z": "categorical"})
    assert declared == {"z": "categorical", "a": "categorical"}
    with pytest.raises(ValueError, match="names no column 'zz'; did you mean 'z'"):
        infer_column_types(frame, declared={"zz": "numeric"})
    with pytest.raises(ValueError, match="type must be one of numeric, categorical"):
        infer_column_types(frame, declared={"z": "number"})
    with pytest.raises(ValueError, match="target column 'y'"):
        infer_column_types(frame, target="y", declared={"y": "numeric"})


def test_numeric_arrays_are_float32_with_nan_for_missing_bad_and_infinite_values():
    frame = pd.DataFrame({"s": [" 3 ", "1e3", "oops", "", "inf", None], "f": [1.0, np.nan, np.inf, 2.0, 1e39, 0.0]})
    arrays = column_arrays(frame, {"s": "numeric", "f": "numeric"})
    assert arrays["s"].dtype == np.float32 and arrays["f"].dtype == np.float32
    assert np.array_equal(arrays["s"], [3, 1000, np.nan, np.nan, np.nan, np.nan], equal_nan=True)
    assert np.array_equal(arrays["f"], [1, np.nan, np.nan, 2, np.nan, 0], equal_nan=True)  # 1e39 overflows float32
    booleans = column_arrays(pd.DataFrame({"b": [True, False]}), {"b": "numeric"})["b"]
    assert booleans.tolist() == [1.0, 0.0]


def test_string_arrays_are_objects_of_str_with_empty_for_missing():
    frame = pd.DataFrame({
        "codes": pd.Series([1, None, 3], dtype="Int64"), "floats": [1.0, np.nan, 2.5], "c": [" a ", None, "b"],
        "b": ["YES", "n", "maybe"], "t": ["Hello there", "", "  "],
    })
    arrays = column_arrays(frame, {"codes": "categorical", "floats": "categorical", "c": "categorical",
                                   "b": "boolean", "t": "text"})
    for values in arrays.values():
        assert values.dtype == object and all(type(v) is str for v in values)
    assert arrays["codes"].tolist() == ["1", "", "3"]
    assert arrays["floats"].tolist() == ["1", "", "2.5"]
    assert arrays["c"].tolist() == ["a", "", "b"]
    assert arrays["b"].tolist() == ["true", "false", ""]  # a value that is not a boolean is missing
    assert arrays["t"].tolist() == ["Hello there", "", ""]


def test_datetime_arrays_are_normalized_iso_strings():
    frame = pd.DataFrame({
        "text": ["2024-03-01", "2024-03-01T10:20:30Z", "2024-03-01 12:00:00+02:00", "Jan 5, 2020", "May", "", None],
        "typed": pd.to_datetime(["2024-03-01 10:20:30", None, None, None, None, None, None]),
    })
    arrays = column_arrays(frame, {"text": "datetime", "typed": "datetime"})
    assert arrays["text"].tolist() == [
        "2024-03-01 00:00:00", "2024-03-01 10:20:30", "2024-03-01 10:00:00", "2020-01-05 00:00:00", "", "", "",
    ]
    assert arrays["typed"].tolist() == ["2024-03-01 10:20:30"] + [""] * 6
    aware = pd.DataFrame({"t": pd.to_datetime(["2024-03-01 12:00"]).tz_localize("Europe/Oslo")})
    assert column_arrays(aware, {"t": "datetime"})["t"].tolist() == ["2024-03-01 11:00:00"]


def test_column_arrays_name_problems():
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="no column 'b'"):
        column_arrays(frame, {"b": "numeric"})
    with pytest.raises(ValueError, match="type must be one of"):
        column_arrays(frame, {"a": "integer"})


def test_describe_columns_counts_missing_and_distinct_values():
    types = {"n": "numeric", "c": "categorical"}
    arrays = {"n": np.array([1, np.nan, 1, 2], "float32"), "c": np.array(["a", "", "", "b"], object)}
    assert describe_columns(types, arrays) == [
        {"name": "n", "type": "numeric", "missing": 1, "distinct": 2},
        {"name": "c", "type": "categorical", "missing": 2, "distinct": 2},
    ]


def test_cell_strings():
    values = pd.Series([" x ", "", None, np.nan, 7, 7.0, 2.5, False, pd.NaT], dtype=object)
    assert cell_strings(values) == ["x", None, None, None, "7", "7", "2.5", "false", None]


def test_serving_names_are_identifiers_and_collisions_are_errors():
    assert serving_name("sepal length (cm)") == "sepal_length__cm_"
    assert serving_name("a-b.c/d") == "a_b_c_d"
    assert serving_name("2nd") == "c_2nd" and serving_name("_id") == "c_id" and serving_name("") == "c_"
    assert serving_name("class") == "class_" and serving_name("Größe") == "Gr__e"
    for column in ["sepal length (cm)", "2nd", "class", "x y/z"]:
        assert serving_name(column).isidentifier()
    assert serving_names(["a", "b c"]) == {"a": "a", "b c": "b_c"}
    with pytest.raises(ValueError, match="columns 'b c' and 'b_c' both have the serving name 'b_c'"):
        serving_names(["b c", "b_c"])
