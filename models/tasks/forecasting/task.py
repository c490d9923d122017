"""`forecasting`: the next `horizon` values of one or many series, from a window of their history.

Owns the split by time (validation and test are the last spans of each
series: `data.split.validation`/`test` as shares of each series' length, or
`validation_steps`/`test_steps`), the windows (`model.head`: `history`,
`horizon`, `stride`), the season (`model.head.season`, else detected from the
training span's autocorrelation), the model (`models.tasks.forecasting.model`:
each window scaled by its own mean and deviation, a time-series backbone, a
linear path, the target's units restored), the loss (absolute error, or the
pinball loss with `quantiles`, weighted by each window's seasonal-naive error
so every series counts alike), the held-out metrics (MAE, RMSE, sMAPE and MASE
next to the last-value and seasonal-naive forecasts of the very same windows,
overall and per horizon step, and the interval's coverage with quantiles;
`test_mase_over_<baseline>` is the model's MASE minus the baseline's, below 0
when the model is better, for export gates), the plots and the export:

- `serving_default(history: float32 [batch, history, values])` returns
  `forecast` [batch, horizon] in the target's units (and `quantiles`
  [batch, horizon, Q] with `quantiles`); the values of each step are the
  target first, then the covariates, then the known covariates, as the source
  names them. With `model.head.calendar` it also takes `timestamps` (int64
  [batch, history], seconds since 1970) and computes the calendar features
  inside the graph, for the history and for the forecast steps (the history's
  last step plus multiples of its last interval). With known covariates
  (the source's `known_columns`) it also takes `future` (float32 [batch,
  horizon, known]): their values at the forecast steps. An input of another
  length or width, or with NaN or infinity, is an InvalidArgument error that
  says what the input must be (TF Serving answers it as an error; nothing
  crashes).

`model.head.lags` gives each forecast step the target's value that many steps
before it (each lag at least the horizon; the history is made long enough).

Training windows lie entirely in the training span; an evaluation window's
targets lie in its span and its history is the known past just before them.
With `data.split.backtest: {folds: K}`, fold k first drops the last
(K - 1 - k) test spans of every series (`pipelines/backtest.py` runs them).

Example (YAML):
    task: forecasting
    data:
      source: {type: time_series, path: demand.csv, timestamp_column: time, series_column: store,
               target_column: demand}
      split: {validation_steps: 168, test_steps: 168}
    model:
      backbone: {source: builtin, name: tcn}
      head: {horizon: 24, history: 168}
"""

from __future__ import annotations

import sys
import numpy as np

from models.tasks.base import Choice, Evaluation, Task
from models.tasks.forecasting.head import MAX_HISTORY, ForecastingHead
from pipelines.registry import tasks

SHOWN_SERIES = 4
"""Forecast plots show the last held-out window of this many series."""


@tasks.register("forecasting", ForecastingHead)
class Forecasting(Task):
    """Forecast the next values of time series (direct multi-step; history-in, forecast-out export)."""

    input_name = "history"
    metric = "mase"
    direction = "min"
    splits_by_time = True
    default_epochs = 30

    def __init__(self, spec):
        super().__init__(spec)
        self.season = 1
        self.history = None
        self.scales: dict[str, float] = {}
        self.columns: list[str] = []
        self.known: list[str] = []

    @classmethod
    def check_spec(cls, spec) -> None:
        """The loss is the task's (absolute error, or pinball with quantiles)."""
        super().check_spec(spec)
        if spec.training.loss != "auto":
            raise ValueError("training.loss: forecasting trains on the absolute error scaled per series (pinball "
                             "with model.head.quantiles); use auto")

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives whole series."""
        if examples.kind != "series":
            raise ValueError(f"task forecasting needs whole series (a time_series or statsmodels source); "
                             f"data.source gives {examples.kind}")
        self.columns = list(examples.columns or {"target": "target"})
        self.known = [name for name, role in (examples.columns or {}).items() if role == "known"]
        if self.head.calendar and examples.timestamps is None:
            raise ValueError("model.head.calendar: the series have no timestamps; give the source a "
                             "timestamp_column, or remove calendar")

    def split(self, examples, seed: int) -> tuple:
        """Training, validation and test windows, cut from the spans of each series (seed unused: time decides)."""
        from data.series.seasonality import seasonal_period
        from data.series.split import time_split
        from data.series.windows import windows
        from models.tasks.forecasting.errors import naive_scale

        split, head = self.spec.data.split, self.head
        spans = time_split(examples, split.validation_steps or split.validation, split.test_steps or split.test)
        if split.backtest is not None and split.backtest.fold is not None:
            examples = _earlier(examples, (split.backtest.folds - 1 - split.backtest.fold) * (spans.lengths -
                                                                                                spans.test_start))
            spans = time_split(examples, split.validation_steps or split.validation,
                               split.test_steps or split.test)
        training = [values[:end, 0] for values, end in zip(examples.inputs, spans.validation_start)]
        shortest = min(len(values) for values in training)
        self.season = head.season if head.season != "auto" else seasonal_period(
            training[int(np.argmax([len(v) for v in training]))], max_period=shortest // 3) or 1
        self.history = head.history
        if self.history == "auto":
            self.history = int(min(max(2 * self.season, 2 * head.horizon, *head.lags), MAX_HISTORY,
                                   shortest - head.horizon))
            if self.history < 1:
                raise ValueError(f"data.split: the shortest training span ({shortest} steps) leaves no history "
                                 f"before a horizon of {head.horizon}; hold out fewer steps or lower "
                                 f"model.head.horizon")
            if head.lags and max(head.lags) > self.history:
                raise ValueError(f"model.head.lags: lag {max(head.lags)} needs that much history, but the "
                                 f"history is {self.history} steps (at most {MAX_HISTORY}, and what the shortest "
                                 f"training span of {shortest} steps allows); use shorter lags")
        self.scales = {series: naive_scale(values, self.season) for series, values in zip(examples.labels, training)}
        lengths = np.array([len(values) for values in examples.inputs])
        examples = _with_calendar(examples, head.calendar)
        cut = dict(history=self.history, horizon=head.horizon)
        return (windows(examples, stride=head.stride, start=np.full(len(lengths), self.history),
                        end=spans.validation_start, **cut),
                windows(examples, stride=1, start=spans.validation_start, end=spans.test_start, **cut),
                windows(examples, stride=1, start=spans.test_start, end=lengths, **cut))

    def choose(self, train) -> list[Choice]:
        """The epochs default, and `history`/`season` when the spec leaves them to the data."""
        choices = super().choose(train)
        if self.head.history == "auto":
            choices.append(Choice("model.head.history", self.history,
                                  f"two seasons ({self.season}) or two horizons, within the training spans"))
        if self.head.season == "auto":
            choices.append(Choice("model.head.season", self.season, "the training span's autocorrelation "
                                                                    "(1: no clear season)"))
        print(f"Forecasting: {len(train.labels)} training windows of {self.history} steps, horizon "
              f"{self.head.horizon}, season {self.season}", file=sys.stderr)
        return choices

    def targets(self):
        """(history, next values, weight): the weight is 1 / the window's seasonal-naive error (MASE's scale)."""
        from models.tasks.forecasting.model import window_weights

        season = self.season
        return lambda inputs, future: (inputs, future, window_weights(_history(inputs), season))

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """The backbone inside window scaling, a dense head and the linear path (`models.tasks.forecasting.model`)."""
        from models.tasks.forecasting.model import build_forecaster

        history, features = _history(input_shape)
        future = input_shape["future"][-1] if isinstance(input_shape, dict) else 0
        return build_forecaster(backbone, history=history, features=features, horizon=self.head.horizon,
                                quantiles=len(self.head.quantiles or [0.5]), linear=self.head.linear,
                                calendar=2 * len(self.head.calendar), future=future, known=len(self.known),
                                lags=self.head.lags, name=self.spec.name.replace("-", "_"))

    def backbone_input_shape(self, input_shape):
        """The history's shape: the backbone reads the history only."""
        return _history(input_shape)

    def compile_options(self) -> dict:
        """Absolute error (or pinball) weighted per window; `mase` per epoch: the point forecast's scaled error."""
        import keras

        from models.tasks.forecasting.model import ScaledError, median_error, pinball_loss

        quantiles = self.head.quantiles
        if quantiles is None:
            return {"loss": "mae", "weighted_metrics": [ScaledError(name="mase")],
                    "metrics": [keras.metrics.MeanAbsoluteError(name="mae")]}
        median = quantiles.index(0.5)
        return {"loss": pinball_loss(quantiles), "weighted_metrics": [ScaledError(median, name="mase")],
                "metrics": [keras.metrics.MeanMetricWrapper(median_error(median), name="mae")]}

    # Evaluation -------------------------------------------------------------------------------

    def forecast(self, model, inputs) -> np.ndarray:
        """The model's forecasts [n, horizon] (or [n, horizon, Q]) for float32 histories (and known futures)."""
        return np.asarray(model.predict(inputs, batch_size=256, verbose=0))

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """MAE, RMSE, sMAPE and MASE next to the last-value and seasonal-naive forecasts of the same windows."""
        from models.tasks.collapse import regression_collapse
        from models.tasks.forecasting import plots
        from models.tasks.forecasting.errors import (
            forecast_errors,
            interval_coverage,
            last_value,
            seasonal_naive,
            step_table,
        )
        from models.tasks.verdict import beat_baselines

        histories, truth = held_out.inputs, held_out.labels
        answers = self.forecast(model, _model_inputs(held_out))
        quantiles = self.head.quantiles
        predicted = answers if quantiles is None else answers[..., quantiles.index(0.5)]
        scale = np.array([self.scales[series] for series in held_out.groups])
        horizon = truth.shape[1]
        forecasters = {"model": predicted, "last value": last_value(histories, horizon)}
        if self.season > 1 and self.season <= histories.shape[1]:
            forecasters["seasonal naive"] = seasonal_naive(histories, horizon, self.season)
        overall = {name: forecast_errors(truth, guess, scale) for name, guess in forecasters.items()}
        metrics = {f"test_{key}": float(value) for key, value in overall["model"].items()}
        for name, errors in overall.items():
            if name != "model":
                key = name.replace(" ", "_")
                metrics.update({f"test_{key}_baseline_{k}": float(v) for k, v in errors.items()})
                metrics[f"test_mase_over_{key}"] = metrics["test_mase"] - float(errors["mase"])
        by_step = {name: forecast_errors(truth, guess, scale, axis=0) for name, guess in forecasters.items()}
        figures = {"errors_by_step.png": plots.errors_by_step({n: e["mase"] for n, e in by_step.items()}, "MASE")}
        low = high = None
        if quantiles is not None:
            low, high = answers[..., 0], answers[..., -1]
            metrics["test_interval_coverage"] = interval_coverage(truth, low, high)
            metrics["test_interval_nominal"] = quantiles[-1] - quantiles[0]
        shown = _last_windows(held_out.groups, SHOWN_SERIES)
        figures["forecasts.png"] = plots.forecast_panels(
            histories[shown, :, 0], truth[shown], predicted[shown], [str(held_out.groups[i]) for i in shown],
            None if low is None else low[shown], None if high is None else high[shown])
        verdicts = beat_baselines("MASE", metrics["test_mase"],
                                  {name: errors["mase"] for name, errors in overall.items() if name != "model"},
                                  higher_is_better=False)
        tables = {"errors_by_step.csv": step_table(by_step)}
        evaluation = Evaluation(metrics, figures, tables, verdicts)
        found = regression_collapse(truth.ravel(), predicted.ravel(), np.asarray(train.labels).ravel())
        return evaluation.update(self.collapse_report(found))

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default(history[, timestamps][, future])` -> `forecast` (and `quantiles`); bad input refused."""
        import tensorflow as tf

        from models.tasks.forecasting.calendar import calendar_features, future_seconds

        quantiles, parts, horizon = self.head.quantiles, self.head.calendar, self.head.horizon
        steps, width = _history(datasets.model_input_shape)
        values = width - 2 * len(parts)
        names = f" ({', '.join(self.columns)})" if len(self.columns) == values else ""
        shape = f"history must be [batch, {steps} steps, {values} values per step{names}]"
        known = len(self.known)
        planned = (f"future must be [batch, {horizon} forecast steps, {known} known values per step "
                   f"({', '.join(self.known)})]")

        def answer(history, seconds=None, future=None):
            checks = [tf.debugging.assert_equal(tf.shape(history)[1:], [steps, values], message=shape)]
            if seconds is not None:
                checks.append(tf.debugging.assert_equal(
                    tf.shape(seconds), tf.shape(history)[:2],
                    message=f"timestamps must be [batch, {steps}]: the seconds since 1970 of each history step"))
            if future is not None:
                checks.append(tf.debugging.assert_equal(
                    tf.shape(future), tf.stack([tf.shape(history)[0], horizon, known]), message=planned))
            with tf.control_dependencies(checks):
                checked = tf.debugging.assert_all_finite(history, "history must hold finite numbers (no NaN or inf)")
                if future is not None:
                    future = tf.debugging.assert_all_finite(future, "future must hold finite numbers (no NaN or inf)")
            ahead = [] if future is None else [future]
            if seconds is not None:
                checked = tf.concat([checked, calendar_features(seconds, parts)], axis=-1)
                ahead.append(calendar_features(future_seconds(seconds, horizon), parts))
            inputs = checked if not ahead else {"history": checked, "future": tf.concat(ahead, axis=-1)}
            answers = model(inputs, training=False)
            if quantiles is None:
                return {"forecast": answers}
            return {"forecast": answers[..., quantiles.index(0.5)], "quantiles": answers}

        signature = [tf.TensorSpec([None, steps, values], tf.float32, name=self.input_name)]
        if parts:
            signature.append(tf.TensorSpec([None, steps], tf.int64, name="timestamps"))
        if known:
            signature.append(tf.TensorSpec([None, horizon, known], tf.float32, name="future"))

        def serve(*inputs):
            given = dict(zip([spec.name for spec in signature], inputs))
            return answer(given[self.input_name], given.get("timestamps"), given.get("future"))

        return [model], {"serving_default": (serve, signature)}

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per window: its history [1, history, values] (`timestamps` with calendar features,
        `future` [1, horizon, known] with known covariates)."""
        from models.tasks.forecasting.calendar import epoch_seconds

        values = examples.inputs.shape[-1] - 2 * len(self.head.calendar)
        requests = [{self.input_name: np.asarray(examples.inputs[i:i + 1, :, :values], "float32")} for i in indices]
        for request, i in zip(requests, indices):
            if self.head.calendar:
                request["timestamps"] = epoch_seconds(examples.timestamps[i:i + 1])
            if self.known:
                request["future"] = np.asarray(examples.future[i:i + 1, :, :len(self.known)], "float32")
        return requests

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --series` with a CSV of the request's history, one row per step (times first), then
        with known covariates one row per forecast step whose target and other values are empty."""
        from models.tasks.series_csv import write_series_csv

        history = request[self.input_name][0]
        width = history.shape[-1]
        names = self.columns if len(self.columns) == width else [f"value_{i}" for i in range(width)]
        times = request["timestamps"][0] if "timestamps" in request else None
        future = request["future"][0] if "future" in request else None
        return ["--series", str(write_series_csv(history, names, folder, times, future))]

    def reference(self, model, datasets, requests) -> np.ndarray:
        """The Keras model's point forecasts for the same histories (and their calendar features and futures)."""
        from models.tasks.forecasting.calendar import calendar_features, future_seconds

        history = np.concatenate([r[self.input_name] for r in requests])
        ahead = [np.concatenate([r["future"] for r in requests])] if self.known else []
        if self.head.calendar:
            seconds = np.concatenate([r["timestamps"] for r in requests])
            history = np.concatenate([history, calendar_features(seconds, self.head.calendar).numpy()], axis=-1)
            ahead.append(calendar_features(future_seconds(seconds, self.head.horizon), self.head.calendar).numpy())
        inputs = history if not ahead else {"history": history, "future": np.concatenate(ahead, axis=-1)}
        answers = self.forecast(model, inputs)
        return answers if self.head.quantiles is None else answers[..., self.head.quantiles.index(0.5)]

    def parity(self, served: dict, reference: np.ndarray) -> dict[str, float]:
        """Largest absolute and relative difference between the export's forecasts and the Keras model's."""
        difference = np.abs(np.asarray(served["forecast"], "float64") - reference)
        return {"export_parity_max_abs_diff": float(difference.max()),
                "export_parity_max_rel_diff": float((difference / np.maximum(np.abs(reference), 1.0)).max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Every forecast within `tolerance`, relative to its size (absolute below 1)."""
        return parity["export_parity_max_rel_diff"] <= tolerance


def _history(inputs):
    """The history of model inputs (or their shapes): the inputs themselves, or their "history"."""
    return inputs["history"] if isinstance(inputs, dict) else inputs


def _model_inputs(windows):
    """What the model takes for `windows`: the histories, or {"history", "future"} with a known future."""
    if windows.future is None:
        return windows.inputs
    return {"history": windows.inputs, "future": windows.future}


def _with_calendar(examples, parts):
    """The series with the calendar features of their timestamps appended to each step's values."""
    import dataclasses

    from models.tasks.forecasting.calendar import calendar_features, epoch_seconds, feature_names

    if not parts:
        return examples
    values = np.empty(len(examples.inputs), dtype=object)
    values[:] = [np.concatenate([v, calendar_features(epoch_seconds(t)[None], parts).numpy()[0]], axis=-1)
                 for v, t in zip(examples.inputs, examples.timestamps)]
    columns = {**examples.columns, **{name: "calendar" for name in feature_names(parts)}}
    return dataclasses.replace(examples, inputs=values, columns=columns)


def _earlier(examples, dropped: np.ndarray):
    """The series without their last `dropped[s]` steps (a backtest fold's origin); too short is an error."""
    import dataclasses

    kept = [len(values) - int(n) for values, n in zip(examples.inputs, dropped)]
    if min(kept) < 2:
        raise ValueError("data.split.backtest: the folds cut a series to nothing; use fewer folds or shorter spans")
    values = np.empty(len(kept), dtype=object)
    values[:] = [v[:k] for v, k in zip(examples.inputs, kept)]
    times = None
    if examples.timestamps is not None:
        times = np.empty(len(kept), dtype=object)
        times[:] = [t[:k] for t, k in zip(examples.timestamps, kept)]
    return dataclasses.replace(examples, inputs=values, timestamps=times)


def _last_windows(groups: np.ndarray, count: int) -> list[int]:
    """The index of the last window of each of the first `count` series."""
    last: dict[str, int] = {}
    for index, series in enumerate(groups):
        last[series] = index
    return list(last.values())[:count]
