"""The `interactions` source: columns and times read, errors naming file, row and column, generation on first use."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from data.sources.interactions import GenerateOptions, InteractionsOptions, load_interactions


def _write(tmp_path, text, name="plays.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_reads_ids_times_and_ratings(tmp_path):
    path = _write(tmp_path, "who,what,when,stars\nann,x,2024-01-02,5\nbo,y,2024-01-01T12:00:00,3\n")
    examples = load_interactions(InteractionsOptions(path=path, user_column="who", item_column="what",
                                                     timestamp_column="when", rating_column="stars"))
    assert examples.kind == "columns"
    assert examples.inputs["user_id"].tolist() == ["ann", "bo"] and examples.inputs["item_id"].tolist() == ["x", "y"]
    assert examples.labels.tolist() == [1704153600.0, 1704110400.0]
    assert examples.inputs["rating"].tolist() == [5.0, 3.0]


def test_numeric_times_and_ids_and_row_order_without_a_timestamp_column(tmp_path):
    path = _write(tmp_path, "user_id,item_id,t\n7,12,100\n7,13,50\n")
    numeric = load_interactions(InteractionsOptions(path=path, timestamp_column="t"))
    assert numeric.inputs["user_id"].tolist() == ["7", "7"] and numeric.labels.tolist() == [100.0, 50.0]
    assert load_interactions(InteractionsOptions(path=path)).labels.tolist() == [1.0, 2.0]


def test_parquet(tmp_path):
    path = str(tmp_path / "plays.parquet")
    pd.DataFrame({"user_id": ["a"], "item_id": ["b"], "ts": [3]}).to_parquet(path)
    assert load_interactions(InteractionsOptions(path=path, timestamp_column="ts")).labels.tolist() == [3.0]


def test_missing_file_and_column_are_named(tmp_path):
    with pytest.raises(ValueError, match="no table file at .*nothing.csv"):
        load_interactions(InteractionsOptions(path=str(tmp_path / "nothing.csv")))
    path = _write(tmp_path, "user,item_id\na,b\n")
    with pytest.raises(ValueError, match=r"plays.csv: no user column 'user_id'; did you mean 'user'\?"):
        load_interactions(InteractionsOptions(path=path))


@pytest.mark.parametrize("row, problem", [
    (",x,1", "column 'user_id': missing user id"),
    ("a,,1", "column 'item_id': missing item id"),
    ("a,x,soon", "column 't': 'soon' is not a number or a date"),
])
def test_bad_rows_name_file_row_and_column(tmp_path, row, problem):
    path = _write(tmp_path, f"user_id,item_id,t\nb,y,2\n{row}\n")
    with pytest.raises(ValueError, match=f"plays.csv row 2: {problem}"):
        load_interactions(InteractionsOptions(path=path, timestamp_column="t"))
    skipped = load_interactions(InteractionsOptions(path=path, timestamp_column="t"), on_bad_record="skip")
    assert skipped.skipped == 1 and skipped.inputs["user_id"].tolist() == ["b"]


def test_a_rating_that_is_not_a_number(tmp_path):
    path = _write(tmp_path, "user_id,item_id,r\na,x,good\n")
    with pytest.raises(ValueError, match="row 1: column 'r': 'good' is not a number"):
        load_interactions(InteractionsOptions(path=path, rating_column="r"))


def test_columns_must_differ():
    with pytest.raises(ValidationError, match="must name different columns"):
        InteractionsOptions(path="x.csv", user_column="id", item_column="id")


def test_generate_writes_the_planted_table_on_first_use_only(tmp_path):
    path = str(tmp_path / "generated" / "interactions.csv")
    options = InteractionsOptions(path=path, timestamp_column="timestamp",
                                  generate=GenerateOptions(users=30, items=40, groups=4))
    first = load_interactions(options)
    written = (tmp_path / "generated" / "interactions.csv").stat().st_mtime_ns
    second = load_interactions(options)
    assert (tmp_path / "generated" / "interactions.csv").stat().st_mtime_ns == written
    assert first.inputs["item_id"].tolist() == second.inputs["item_id"].tolist()
    assert len(set(first.inputs["user_id"])) == 30 and np.isfinite(first.labels).all()


def test_feature_tables_join_by_id_with_missing_values_for_unknown_ids(tmp_path):
    path = _write(tmp_path, "user_id,item_id\na,x\nb,y\nc,x\n")
    users = _write(tmp_path, "user_id,age,plan\na,31.5,gold\nb,,basic\n", "users.csv")
    items = _write(tmp_path, "sku,genre\nx,rock\n", "items.csv")
    examples = load_interactions(InteractionsOptions(path=path, users={"path": users},
                                                     items={"path": items, "id_column": "sku"}))
    assert examples.columns == {"user_id": "categorical", "item_id": "categorical", "user_age": "numeric",
                                "user_plan": "categorical", "item_genre": "categorical"}
    assert np.isnan(examples.inputs["user_age"][1:]).all() and examples.inputs["user_age"][0] == 31.5
    assert examples.inputs["user_plan"].tolist() == ["gold", "basic", ""]
    assert examples.inputs["item_genre"].tolist() == ["rock", "", "rock"]


def test_feature_table_errors_name_the_file_row_and_column(tmp_path):
    path = _write(tmp_path, "user_id,item_id\na,x\n")
    items = _write(tmp_path, "id,genre\nx,rock\n", "items.csv")
    with pytest.raises(ValueError, match="items.csv: no item id column 'item_id'; columns: id, genre"):
        load_interactions(InteractionsOptions(path=path, items={"path": items}))
    twice = _write(tmp_path, "item_id,genre\nx,rock\ny,pop\nx,jazz\n", "twice.csv")
    with pytest.raises(ValueError, match="twice.csv row 3: item id 'x' is given twice \\(also row 1\\)"):
        load_interactions(InteractionsOptions(path=path, items={"path": twice}))
    nameless = _write(tmp_path, "item_id,genre\n,rock\n", "nameless.csv")
    with pytest.raises(ValueError, match="nameless.csv row 1: column 'item_id': missing item id"):
        load_interactions(InteractionsOptions(path=path, items={"path": nameless}))


def test_generate_writes_the_item_genres_beside_and_never_over_a_file(tmp_path):
    path = _write(tmp_path, "user_id,item_id\na,i001\n")
    items = str(tmp_path / "genres.csv")
    examples = load_interactions(InteractionsOptions(path=path, items={"path": items},
                                                     generate=GenerateOptions(users=5, items=20, groups=2)))
    assert examples.size == 1 and examples.inputs["item_genre"][0] in ("g0", "g1")  # the interactions kept
    assert pd.read_csv(items).shape == (20, 2)
