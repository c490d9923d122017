"""Calendar features: cyclical pairs from timestamps, and windows that carry the times of their history."""

import numpy as np

from data.examples import Examples
from data.series.windows import windows
from models.tasks.forecasting.calendar import calendar_features, epoch_seconds


def test_cyclical_pairs_put_the_end_of_a_cycle_next_to_its_start():
    monday = epoch_seconds(np.array(["2024-01-01T00:00", "2024-01-01T23:00", "2024-01-07T23:00"], "datetime64[s]"))
    hour, day = np.split(calendar_features(monday[None], ["hour", "day_of_week"]).numpy()[0], 2, axis=-1)
    np.testing.assert_allclose(hour[0], [0.0, 1.0], atol=1e-6)          # midnight: angle 0
    np.testing.assert_allclose(day[0], [0.0, 1.0], atol=1e-6)           # Monday is the start of the week
    assert np.linalg.norm(hour[1] - hour[0]) < 0.3                      # 23:00 sits next to 00:00
    assert np.linalg.norm(day[2] - day[0]) < 0.2                        # Sunday night next to Monday morning


def test_windows_carry_the_times_of_their_history_steps():
    times = np.arange("2024-01-01T00", "2024-01-01T10", dtype="datetime64[h]").astype("datetime64[ns]")
    stamps = np.empty(1, dtype=object)
    stamps[0] = times
    series = Examples([np.arange(10.0)], ["a"], kind="series", timestamps=stamps)
    cut = windows(series, history=3, horizon=2, start=0, end=10)
    assert cut.timestamps.shape == (6, 3)
    np.testing.assert_array_equal(cut.timestamps[0], times[:3])
    # each window's history times end just before its first target
    assert all(cut.timestamps[i, -1] == times[2 + i] for i in range(6))
