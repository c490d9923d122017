"""The time_series source: long and wide tables, gaps and missing values reported and filled, bad input named."""

import numpy as np
import pandas as pd
import pytest

from data.errors import BadRecordError
from data.sources.time_series import TimeSeriesOptions, load_time_series
from data.synthetic.series import demand_frame


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _long(path, **options):
    return load_time_series(TimeSeriesOptions(path=path, timestamp_column="t", target_column="y", **options))


LONG = """t,shop,y,temp
2024-01-01 00:00,a,1,10
2024-01-01 01:00,a,2,11
2024-01-01 00:00,b,5,20
2024-01-01 02:00,a,3,12
2024-01-01 01:00,b,6,21
"""


def test_long_layout_gives_one_series_per_id_with_covariates_and_timestamps(tmp_path):
    examples = _long(_write(tmp_path, LONG), series_column="shop", covariate_columns=["temp"])
    assert examples.kind == "series" and examples.labels.tolist() == ["a", "b"]
    assert examples.columns == {"y": "target", "temp": "covariate"}
    assert examples.inputs[0].tolist() == [[1, 10], [2, 11], [3, 12]] and examples.inputs[1].shape == (2, 2)
    assert [str(t)[11:16] for t in examples.timestamps[0]] == ["00:00", "01:00", "02:00"]
    assert examples.origin.startswith("time_series:")


def test_long_layout_without_series_column_is_one_series_named_after_the_target(tmp_path):
    path = _write(tmp_path, "t,y\n2024-01-03,3\n2024-01-01,1\n2024-01-02,2\n")
    examples = _long(path)
    assert examples.labels.tolist() == ["y"] and examples.inputs[0][:, 0].tolist() == [1, 2, 3]  # sorted by time


def test_plain_steps_keep_file_order(tmp_path):
    path = _write(tmp_path, "y,x\n3,0\n1,0\n,0\n4,0\n")
    examples = load_time_series(TimeSeriesOptions(path=path, target_column="y", covariate_columns=["x"]))
    assert examples.timestamps is None
    assert examples.inputs[0][:, 0].tolist() == [3, 1, 2.5, 4]  # the missing value interpolated along the steps


def test_wide_layout_makes_each_column_a_series_sharing_the_covariates(tmp_path):
    path = _write(tmp_path, "date,north,south,holiday\n2024-01-01,1,10,0\n2024-01-02,2,20,1\n")
    examples = load_time_series(TimeSeriesOptions(path=path, layout="wide", timestamp_column="date",
                                                  covariate_columns=["holiday"]))
    assert examples.labels.tolist() == ["north", "south"]
    assert examples.columns == {"value": "target", "holiday": "covariate"}
    assert examples.inputs[1].tolist() == [[10, 0], [20, 1]]
    picked = load_time_series(TimeSeriesOptions(path=path, layout="wide", timestamp_column="date",
                                                series_columns=["south"]))
    assert picked.labels.tolist() == ["south"] and picked.inputs[0].shape == (2, 1)


def test_parquet_reads_like_csv(tmp_path):
    frame = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "y": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "t.parquet")
    examples = _long(str(tmp_path / "t.parquet"))
    assert examples.inputs[0][:, 0].tolist() == [1, 2]


GAPPY = ("t,shop,y\n2024-01-01 00:00,a,1\n2024-01-01 01:00,a,2\n2024-01-01 04:00,a,5\n2024-01-01 05:00,a,\n"
         "2024-01-01 06:00,a,9\n")


def test_gaps_and_missing_values_are_reported_then_interpolated(tmp_path, capsys):
    path = _write(tmp_path, GAPPY)
    examples = _long(path, series_column="shop")
    assert examples.inputs[0][:, 0].tolist() == [1, 2, 3, 4, 5, 7, 9]
    report = capsys.readouterr().err
    assert path in report and "series 'a'" in report
    assert "2 missing steps at frequency h (2024-01-01 02:00:00, 2024-01-01 03:00:00)" in report
    assert "1 missing value of 'y' (2024-01-01 05:00:00)" in report and "interpolated" in report


def test_gaps_forward_filled(tmp_path, capsys):
    examples = _long(_write(tmp_path, GAPPY), series_column="shop", missing="ffill")
    assert examples.inputs[0][:, 0].tolist() == [1, 2, 2, 2, 5, 5, 9]
    assert "forward-filled" in capsys.readouterr().err


def test_gaps_under_error_name_the_file_series_and_first_missing_time(tmp_path):
    path = _write(tmp_path, GAPPY)
    with pytest.raises(ValueError) as caught:
        _long(path, series_column="shop", missing="error")
    message = str(caught.value)
    assert path in message and "series 'a'" in message and "the first at 2024-01-01 02:00:00" in message


def test_duplicate_and_off_grid_timestamps_are_reported(tmp_path, capsys):
    path = _write(tmp_path, "t,y\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 01:00,4\n"
                            "2024-01-01 01:30,5\n2024-01-01 02:00,6\n2024-01-01 03:00,7\n2024-01-01 04:00,8\n")
    examples = _long(path)
    report = capsys.readouterr().err
    assert "1 duplicate timestamp (2024-01-01 01:00:00)" in report
    assert "1 timestamp off the h grid (2024-01-01 01:30:00)" in report
    assert examples.inputs[0][:, 0].tolist() == [1, 3, 6, 7, 8]  # duplicates averaged, off-grid time dropped


def test_frequency_is_inferred_by_calendar_months_or_declared(tmp_path, capsys):
    path = _write(tmp_path, "t,y\n2024-01-01,1\n2024-02-01,2\n2024-04-01,4\n2024-05-01,5\n")
    assert [str(t)[:10] for t in _long(path).timestamps[0]] == ["2024-01-01", "2024-02-01", "2024-03-01",
                                                               "2024-04-01", "2024-05-01"]
    assert "1 missing step at frequency MS (2024-03-01 00:00:00)" in capsys.readouterr().err
    declared = _long(_write(tmp_path, "t,y\n2024-01-01,1\n2024-01-03,3\n"), frequency="D")
    assert declared.inputs[0][:, 0].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="frequency 'fortnightly' is not a pandas offset alias"):
        _long(path, frequency="fortnightly")


def test_missing_column_is_named_with_the_closest_one(tmp_path):
    path = _write(tmp_path, LONG)
    with pytest.raises(ValueError) as caught:
        _long(path, series_column="shops")
    assert path in str(caught.value) and "'shops'" in str(caught.value) and "did you mean 'shop'" in str(caught.value)


def test_unreadable_time_and_non_numeric_target_name_file_row_and_column(tmp_path):
    path = _write(tmp_path, "t,y\n2024-01-01,1\nyesterday,2\n2024-01-03,3\n")
    with pytest.raises(BadRecordError, match=r"row 2: column 't': cannot read 'yesterday' as a time"):
        _long(path)
    path = _write(tmp_path, "t,y\n2024-01-01,1\n2024-01-02,lots\n", name="u.csv")
    with pytest.raises(BadRecordError) as caught:
        _long(path)
    assert str(caught.value) == f"bad record in {path} row 2: column 'y': 'lots' is not a number"


def test_bad_records_skipped_are_counted_then_filled(tmp_path, capsys):
    path = _write(tmp_path, "t,y\n2024-01-01,1\nyesterday,2\n2024-01-03,lots\n2024-01-04,4\n")
    examples = load_time_series(TimeSeriesOptions(path=path, timestamp_column="t", target_column="y"),
                                on_bad_record="skip")
    assert examples.skipped == 2 and "row 3: column 'y'" in examples.skipped_records[1]
    assert examples.inputs[0][:, 0].tolist() == [1, 2, 3, 4]


def test_options_check_the_layout():
    with pytest.raises(ValueError, match="long layout needs target_column"):
        TimeSeriesOptions(path="t.csv")
    with pytest.raises(ValueError, match="layout: wide takes no target_column"):
        TimeSeriesOptions(path="t.csv", layout="wide", target_column="y")
    with pytest.raises(ValueError, match="more than one role"):
        TimeSeriesOptions(path="t.csv", target_column="y", covariate_columns=["y"])


def test_generated_demand_reads_as_six_hourly_series(tmp_path, capsys):
    path = tmp_path / "demand.csv"
    demand_frame(seed=1).to_csv(path, index=False)
    assert demand_frame(seed=1).equals(demand_frame(seed=1))
    examples = load_time_series(TimeSeriesOptions(path=str(path), timestamp_column="timestamp", series_column="store",
                                                  target_column="demand", covariate_columns=["temperature"]))
    assert len(examples.labels) == 6 and {v.shape for v in examples.inputs} == {(60 * 24, 2)}
    assert capsys.readouterr().err == ""  # a clean set: nothing to report
    assert np.all(np.diff(examples.timestamps[0]) == np.timedelta64(1, "h"))


def test_fingerprint_sees_values_ids_timestamps_of_series_and_windows():
    from data.examples import Examples
    from data.fingerprint import fingerprint

    times = np.array(["2024-01-01", "2024-01-02"], "datetime64[ns]")

    def series(values=(1.0, 2.0), series_id="a", start="2024-01-01"):
        stamps = np.empty(1, dtype=object)
        stamps[0] = times - times[0] + np.datetime64(start, "ns")
        return Examples([np.array(values)], [series_id], kind="series", timestamps=stamps)

    base = fingerprint(series())
    assert base == fingerprint(series())
    assert len({base, fingerprint(series(values=(1.0, 2.5))), fingerprint(series(series_id="b")),
                fingerprint(series(start="2024-02-01"))}) == 4
    histories = np.zeros((2, 3, 1), "float32")
    cut = [fingerprint(Examples(histories, labels, kind="windows", groups=np.array(groups, object)))
           for labels, groups in [([[0.25], [1.0]], ["a", "a"]), ([[0.5], [1.0]], ["a", "a"]),
                                  ([[0.25], [1.0]], ["a", "b"])]]
    assert len(set(cut)) == 3  # target values are not rounded to integers; groups count
    rows = [fingerprint(Examples(histories, np.array([0, 1]), ["x", "y"], kind="sequences", assigned_split=split))
            for split in (None, ["train", "test"], ["test", "train"])]
    assert len(set(rows)) == 3


def test_known_columns_come_last_with_their_role_in_long_and_wide_tables(tmp_path):
    path = _write(tmp_path, "t,shop,promo,y,temp\n2024-01-01 00:00,a,1,1,10\n2024-01-01 01:00,a,0,2,11\n")
    examples = _long(path, series_column="shop", covariate_columns=["temp"], known_columns=["promo"])
    assert examples.columns == {"y": "target", "temp": "covariate", "promo": "known"}
    assert examples.inputs[0].tolist() == [[1, 10, 1], [2, 11, 0]]
    wide = _write(tmp_path, "date,north,south,holiday\n2024-01-01,1,10,0\n2024-01-02,2,20,1\n", "w.csv")
    examples = load_time_series(TimeSeriesOptions(path=wide, layout="wide", timestamp_column="date",
                                                  known_columns=["holiday"]))
    assert examples.labels.tolist() == ["north", "south"] and examples.inputs[1].tolist() == [[10, 0], [20, 1]]
    with pytest.raises(ValueError, match="'promo' is named in more than one role"):
        TimeSeriesOptions(path=path, target_column="y", covariate_columns=["promo"], known_columns=["promo"])
    with pytest.raises(ValueError, match="no column 'plan'|'plan'"):
        _long(path, known_columns=["plan"])
