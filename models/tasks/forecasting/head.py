"""`model.head` of the forecasting task: the window the model reads and what it answers.

Example:
    >>> ForecastingHead(horizon=24, lags=[168]).history
    'auto'
"""

from __future__ import annotations

from typing import Literal, Union

from pydantic import Field, field_validator, model_validator

from pipelines.options import Options, PositiveInt

MAX_HISTORY = 512
"""`history: auto` reads at most this many steps."""

class ForecastingHead(Options):
    """forecasting: the window the model reads and what it answers."""

    horizon: PositiveInt = Field(description="Steps ahead forecast at once (direct multi-step).", le=10000)
    history: Union[PositiveInt, Literal["auto"]] = Field(
        "auto", description="Steps of history the model reads; auto: two seasons or two horizons, whichever is "
                            f"longer (at most {MAX_HISTORY}, and what the shortest training span allows).")
    stride: PositiveInt = Field(1, description="Steps between the starts of consecutive training windows.")
    season: Union[PositiveInt, Literal["auto"]] = Field(
        "auto", description="Season length for the seasonal-naive forecast and MASE; auto: detected from the "
                            "autocorrelation of the training spans (1 when there is none).")
    quantiles: list[float] | None = Field(
        None, description="Forecast these quantiles (pinball loss), e.g. [0.1, 0.5, 0.9]; the median is the "
                          "point forecast and the outer two give an interval whose coverage is measured.")
    linear: bool = Field(True, description="Add a linear map of the scaled target history to the forecast.")
    calendar: list[Literal["hour", "day_of_week", "year"]] = Field(
        default_factory=list,
        description="Calendar features of each history and forecast step, from the timestamps (sin and cos of "
                    "the hour of the day, the day of the week, the position in the year); the export then takes "
                    "`timestamps` (int64 seconds since 1970 of each history step) and computes them inside.")
    lags: list[PositiveInt] = Field(
        default_factory=list,
        description="Target lags: each forecast step also reads the target this many steps before it, e.g. "
                    "[168] for the same hour a week earlier; each at least the horizon, and `history: auto` "
                    "reads back to the longest.")

    @field_validator("quantiles")
    @classmethod
    def _with_median(cls, quantiles):
        if quantiles is None:
            return quantiles
        if any(not 0 < q < 1 for q in quantiles) or sorted(set(quantiles)) != list(quantiles):
            raise ValueError(f"quantiles must be increasing, each in (0, 1), got {quantiles}")
        if 0.5 not in quantiles:
            raise ValueError(f"quantiles must include 0.5 (the point forecast), got {quantiles}")
        return quantiles

    @model_validator(mode="after")
    def _lags_known(self):
        short = [lag for lag in self.lags if lag < self.horizon]
        if short:
            raise ValueError(f"lags {short} are shorter than the horizon ({self.horizon}): a lag's value must be "
                             f"known for every forecast step, so each lag must be at least the horizon")
        if self.history != "auto" and self.lags and max(self.lags) > self.history:
            raise ValueError(f"lag {max(self.lags)} reaches before the history of {self.history} steps; raise "
                             f"history (or leave it auto)")
        return self
