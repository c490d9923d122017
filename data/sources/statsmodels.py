"""Real time series that statsmodels ships with its package (read offline), for forecasting.

- co2: weekly CO2 at Mauna Loa (ppm), 1958-2001, Saturdays; 59 weeks are missing.
- sunspots: yearly sunspot activity, 1700-2008.
- nile: yearly flow of the Nile at Aswan, 1871-1970.
- elnino: monthly sea surface temperature of the El Nino region, 1950-2010
  (shipped one row per year, read as one monthly series).
- macrodata: quarterly US macroeconomic data, 1959-2009: real GDP by default;
  any of its other columns (realcons, realinv, cpi, unemp, ...) as target or covariates.

Each dataset is one series (id: its name) with timestamps at its frequency;
missing weeks and values are reported and handled by `missing`, as in the
time_series source (`data.series.regular`).

Example (YAML):
    data:
      source: {type: statsmodels, name: co2}
      # {type: statsmodels, name: macrodata, target_column: realcons, covariate_columns: [realdpi, cpi]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from pydantic import Field

from data.series.regular import Missing
from pipelines.options import Options
from pipelines.registry import sources


def _dated(data):
    return data


def _yearly(column: str) -> Callable:
    def read(data):
        import pandas as pd

        return data.set_index(pd.to_datetime(data.pop(column).astype(int).astype(str), format="%Y"))
    return read


def _months_of_years(data):
    """One row per year with a column per month -> one row per month, column 'temperature'."""
    import pandas as pd

    years = data.pop("YEAR").astype(int)
    values = data.to_numpy().reshape(-1)
    times = pd.to_datetime([f"{year}-{month:02d}-01" for year in years for month in range(1, 13)])
    return pd.DataFrame({"temperature": values}, index=times)


def _quarterly(data):
    import pandas as pd

    years, quarters = data.pop("year").astype(int), data.pop("quarter").astype(int)
    return data.set_index(pd.to_datetime([f"{y}-{3 * q - 2:02d}-01" for y, q in zip(years, quarters)]))


@dataclass(frozen=True)
class Dataset:
    target: str
    frequency: str
    frame: Callable
    """statsmodels' DataFrame -> a DataFrame indexed by time."""


DATASETS = {
    "co2": Dataset("co2", "W-SAT", _dated),
    "sunspots": Dataset("SUNACTIVITY", "YS", _yearly("YEAR")),
    "nile": Dataset("volume", "YS", _yearly("year")),
    "elnino": Dataset("temperature", "MS", _months_of_years),
    "macrodata": Dataset("realgdp", "QS", _quarterly),
}


class StatsmodelsOptions(Options):
    name: Literal["co2", "sunspots", "nile", "elnino", "macrodata"] = Field(
        description="The dataset: co2 (weekly), sunspots (yearly), nile (yearly), elnino (monthly), macrodata "
                    "(quarterly).",
    )
    target_column: str | None = Field(default=None, description="The column to forecast; default the dataset's own.")
    covariate_columns: list[str] = Field(
        default_factory=list, description="Other columns of the dataset as covariates.",
    )
    missing: Missing = Field(
        default="interpolate", description="Missing steps and values: interpolate, ffill or error.",
    )


@sources.register("statsmodels", StatsmodelsOptions)
def load_statsmodels(options: StatsmodelsOptions, *, on_bad_record: str = "error"):
    """A real series that statsmodels ships, with timestamps; missing steps and values filled.

    Example:
        >>> nile = load_statsmodels(StatsmodelsOptions(name="nile"))
        >>> nile.kind, nile.labels.tolist(), nile.inputs[0].shape, str(nile.timestamps[0][0])[:10]
        ('series', ['nile'], (100, 1), '1871-01-01')
    """
    import importlib

    import numpy as np

    from data.examples import Examples
    from data.series.regular import regularize
    from pipelines.registry import suggest

    dataset = DATASETS[options.name]
    data = importlib.import_module(f"statsmodels.datasets.{options.name}").load_pandas().data
    frame = dataset.frame(data.copy())
    target = options.target_column or dataset.target
    columns = [target, *options.covariate_columns]
    for column in columns:
        if column not in frame.columns:
            raise ValueError(f"statsmodels: {options.name} has no column {column!r}"
                             f"{suggest(column, list(frame.columns))}; columns: {', '.join(frame.columns)}")
    values, grid = regularize(frame[columns].to_numpy("float64"), frame.index.to_numpy(), names=columns,
                              frequency=dataset.frequency, missing=options.missing,
                              where=f"statsmodels: {options.name}")
    timestamps = np.empty(1, dtype=object)
    timestamps[0] = grid
    return Examples(
        [values], [options.name], kind="series", timestamps=timestamps,
        columns={column: "target" if i == 0 else "covariate" for i, column in enumerate(columns)},
        origin=f"statsmodels:{options.name}",
    )
