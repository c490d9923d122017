"""Time splits and windows: the last spans of each series, no window across a boundary, no leakage into scaling."""

import numpy as np
import pytest

from data.examples import Examples
from data.series.seasonality import seasonal_period
from data.series.split import time_split
from data.series.windows import windows
from data.synthetic.series import DAILY, demand_frame


def _steps(*lengths):
    """Series whose target is its own step number and whose covariate is -step, so a window shows where it lies."""
    values = [np.stack([np.arange(n), -np.arange(n)], axis=1) for n in lengths]
    return Examples(values, [f"s{i}" for i in range(len(lengths))], kind="series",
                    columns={"y": "target", "x": "covariate"})


def test_time_split_takes_the_last_spans_by_fraction_or_steps():
    series = _steps(100, 40)
    split = time_split(series, validation=0.1, test=0.2)
    assert split.test_start.tolist() == [80, 32] and split.validation_start.tolist() == [70, 28]
    by_steps = time_split(series, validation=5, test=10)
    assert [s.tolist() for s in by_steps.span("test")] == [[90, 30], [100, 40]]
    assert [s.tolist() for s in by_steps.span("train")] == [[0, 0], [85, 25]]
    assert time_split(_steps(3), validation=0.01, test=0).validation_start.tolist() == [2]  # at least one step


def test_time_split_errors():
    with pytest.raises(ValueError, match="series 's0' has 10 steps: validation 6 and test 4"):
        time_split(_steps(10), validation=6, test=4)
    with pytest.raises(ValueError, match=r"validation must be a fraction in \[0, 1\)"):
        time_split(_steps(10), validation=1.5, test=0)
    with pytest.raises(ValueError, match="part must be one of train, validation, test"):
        time_split(_steps(10), validation=1, test=1).span("holdout")


def test_no_window_crosses_a_split_boundary():
    series = _steps(120, 75)
    split = time_split(series, validation=0.15, test=0.15)
    history, horizon = 12, 5
    train = windows(series, history, horizon, 1, *split.span("train"))
    for histories, targets, group in zip(train.inputs, train.labels, train.groups):
        boundary = split.validation_start[int(group[1:])]
        assert histories[:, 0].max() < targets.min() and targets.max() < boundary  # all in the training span
        assert np.array_equal(histories[:, 1], -histories[:, 0])  # the history holds every value of its steps
    for part in ("validation", "test"):
        cut = windows(series, history, horizon, 1, *split.span(part))
        starts, ends = split.span(part)
        for histories, targets, group in zip(cut.inputs, cut.labels, cut.groups):
            s = int(group[1:])
            assert starts[s] <= targets.min() and targets.max() < ends[s]  # targets inside their span
            assert histories[-1, 0] == targets[0] - 1 and histories[0, 0] == targets[0] - history  # the known past
    counts = {g: int(np.sum(train.groups == g)) for g in ("s0", "s1")}
    assert counts == {f"s{i}": split.validation_start[i] - history - horizon + 1 for i in range(2)}


def test_targets_are_value_zero_and_stride_spaces_their_starts():
    cut = windows(_steps(30), history=4, horizon=3, stride=5)  # targets may start at steps 4..27
    assert cut.kind == "windows" and cut.inputs.shape == (5, 4, 2) and cut.labels.shape == (5, 3)
    assert cut.labels[:, 0].tolist() == [4, 9, 14, 19, 24] and cut.labels[0].tolist() == [4, 5, 6]
    assert cut.inputs[0].tolist() == [[0, 0], [1, -1], [2, -2], [3, -3]]
    assert cut.columns == {"y": "target", "x": "covariate"} and cut.groups.tolist() == ["s0"] * 5


def test_too_short_series_is_named_with_the_steps_it_needs():
    series = _steps(50, 8)
    with pytest.raises(ValueError) as caught:
        windows(series, history=6, horizon=4)
    message = str(caught.value)
    assert "series 's1' is too short" in message and "6 history steps, then 4 target steps" in message
    assert "end at step 10 or later; the series has 8 steps" in message
    with pytest.raises(ValueError, match="history must be an integer >= 1"):
        windows(series, history=0, horizon=1)


def test_scaling_fitted_on_training_windows_does_not_see_the_test_span():
    import keras

    def adapted(series):
        split = time_split(series, validation=0.2, test=0.2)
        train = windows(series, 24, 6, 3, *split.span("train"))
        layer = keras.layers.Normalization(axis=-1)
        layer.adapt(train.inputs.reshape(-1, train.inputs.shape[-1]))
        return np.asarray(layer.mean), np.asarray(layer.variance), split

    series = _steps(200, 150)
    mean, variance, split = adapted(series)
    changed = _steps(200, 150)
    changed.inputs[0][split.test_start[0]:] += 1e6   # every test-span value of one series
    changed.inputs[1][-1] = [-1e6, 1e6]              # and the very last value of the other
    new_mean, new_variance, _ = adapted(changed)
    np.testing.assert_array_equal(mean, new_mean)
    np.testing.assert_array_equal(variance, new_variance)


def test_seasonal_period_of_generated_demand_is_daily_from_the_training_span():
    frame = demand_frame(stores=2, days=21, seed=2)
    for _, store in frame.groupby("store"):
        values = store["demand"].to_numpy()
        assert seasonal_period(values[: int(len(values) * 0.7)], max_period=200) == DAILY


def test_windows_cut_the_known_future_at_the_target_steps_and_nothing_else():
    values = [np.stack([np.arange(30), -np.arange(30), 100 + np.arange(30)], axis=1)]
    series = Examples(values, ["s0"], kind="series", columns={"y": "target", "x": "covariate", "price": "known"})
    cut = windows(series, history=5, horizon=3, start=0, end=20)
    assert cut.future.shape == (len(cut.labels), 3, 1)
    # the known value of each target step: step t has price 100 + t, and the targets are steps t..t+2
    np.testing.assert_array_equal(cut.future[..., 0], cut.labels + 100)
    assert cut.future.max() < 100 + 20  # nothing at or after the span's end
    assert cut.subset(np.array([1])).future.shape == (1, 3, 1)
    assert windows(_steps(30), history=5, horizon=3).future is None  # no known columns: no future
