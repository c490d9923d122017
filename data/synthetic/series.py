"""Time series with known structure: store demand to forecast, and series shapes to classify.

- demand.csv (long layout): hourly demand of several stores with a daily
  (24 steps) and a weekly (168 steps) cycle, a linear trend, noise, and an
  hourly `temperature` covariate that raises demand when it is warm, and a
  planned `promotion` (0 or 1, known in advance: a few runs of 6 to 12 hours
  a week) that raises it while it runs.
  Columns: timestamp, store, demand, temperature, promotion.
- shapes.csv (one series per row): a sine burst, a square pulse, a ramp or a
  spike, at a random place and width on a flat line with noise, of 48 to 64
  steps. Each series is standardized before a random offset and scale are
  applied, so that its level and spread say nothing of its class: only the
  shape does. Columns: values (space-separated numbers), label, split
  (train / validation / test, 70/15/15 within each class).

The same seed writes the same bytes.

Usage:
    python -m data.synthetic.series data/generated/series [--seed 0]

Example (YAML, after writing them):
    data:
      source: {type: time_series, path: data/generated/series/demand.csv, timestamp_column: timestamp,
               series_column: store, target_column: demand, covariate_columns: [temperature],
               known_columns: [promotion]}
      # classification: {type: series_rows, path: data/generated/series/shapes.csv, series_columns: [values],
      #                  label_column: label, split_column: split}

Example:
    >>> demand = demand_frame(stores=2, days=1)
    >>> list(demand.columns), len(demand), demand["store"].unique().tolist()
    (['timestamp', 'store', 'demand', 'temperature', 'promotion'], 48, ['store_1', 'store_2'])
    >>> shapes = shapes_frame(count=8)
    >>> sorted(shapes["label"].unique()) == sorted(SHAPES), set(shapes["split"]) <= {"train", "validation", "test"}
    (True, True)
"""

from __future__ import annotations

import argparse
import os

import numpy as np

DAILY, WEEKLY = 24, 168
"""The seasonal periods of demand.csv, in (hourly) steps."""

SHAPES = ("sine_burst", "square_pulse", "ramp", "spike")
"""The classes of shapes.csv."""

SPLIT_SHARES = {"train": 0.7, "validation": 0.15, "test": 0.15}


def demand_frame(stores: int = 6, days: int = 60, seed: int = 0):
    """The long-format demand table (pandas DataFrame): one row per store and hour.

    Example:
        >>> frame = demand_frame(stores=1, days=2, seed=3)
        >>> frame["timestamp"].iloc[[0, -1]].tolist()
        ['2024-01-01 00:00:00', '2024-01-02 23:00:00']
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    planner = np.random.default_rng(seed + 1000)
    hours = np.arange(days * 24)
    times = pd.date_range("2024-01-01", periods=len(hours), freq="h").strftime("%Y-%m-%d %H:%M:%S")
    parts = []
    for store in range(stores):
        temperature = (12 + 6 * np.sin(2 * np.pi * (hours - 9) / DAILY) + 3 * np.sin(2 * np.pi * hours / (24 * 30))
                       + rng.normal(0, 1, len(hours)))
        daily = rng.uniform(8, 15) * np.sin(2 * np.pi * (hours - 6) / DAILY + rng.uniform(-0.3, 0.3))
        weekly = rng.uniform(5, 12) * np.sin(2 * np.pi * hours / WEEKLY + rng.uniform(0, 2 * np.pi))
        demand = (rng.uniform(60, 140) + rng.uniform(-0.01, 0.03) * hours + daily + weekly
                  + 0.8 * (temperature - 12) + rng.normal(0, 3, len(hours)))
        promotion = _promotions(len(hours), planner)
        demand = demand + planner.uniform(6, 12) * promotion
        parts.append(pd.DataFrame({
            "timestamp": times, "store": f"store_{store + 1}",
            "demand": np.round(demand, 3), "temperature": np.round(temperature, 2), "promotion": promotion,
        }))
    return pd.concat(parts, ignore_index=True)


def _promotions(hours: int, rng) -> np.ndarray:
    """0/1 per hour: about three runs of 6 to 12 hours a week, starting at random hours."""
    promotion = np.zeros(hours, "int64")
    for start in rng.choice(hours, size=max(1, 3 * hours // WEEKLY), replace=False):
        promotion[start:start + rng.integers(6, 13)] = 1
    return promotion


def shapes_frame(count: int = 400, seed: int = 0, lengths: tuple[int, int] = (48, 64)):
    """The shapes table (pandas DataFrame): `count` series, the classes in turn, rows shuffled.

    Example:
        >>> frame = shapes_frame(count=4, seed=1)
        >>> [len(v.split()) >= 48 for v in frame["values"]], sorted(frame["label"])
        ([True, True, True, True], ['ramp', 'sine_burst', 'spike', 'square_pulse'])
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    labels = [SHAPES[i % len(SHAPES)] for i in range(count)]
    rows = []
    for label in labels:
        shape = _shape(label, int(rng.integers(lengths[0], lengths[1] + 1)), rng)
        shape = (shape - shape.mean()) / shape.std() + rng.normal(0, 0.15, len(shape))
        series = rng.uniform(-5, 5) + rng.uniform(0.5, 3) * shape
        rows.append(" ".join(f"{v:.3f}" for v in series))
    frame = pd.DataFrame({"values": rows, "label": labels, "split": _splits(labels, rng)})
    return frame.iloc[rng.permutation(count)].reset_index(drop=True)


def write_series(folder: str, seed: int = 0) -> dict[str, str]:
    """Write demand.csv and shapes.csv under `folder`; their paths by name."""
    os.makedirs(folder, exist_ok=True)
    paths = {"demand": os.path.join(folder, "demand.csv"), "shapes": os.path.join(folder, "shapes.csv")}
    demand_frame(seed=seed).to_csv(paths["demand"], index=False)
    shapes_frame(seed=seed).to_csv(paths["shapes"], index=False)
    return paths


def _shape(label: str, length: int, rng) -> np.ndarray:
    """One clean shape of `length` steps: zero except for the shape, at a random place and width."""
    out = np.zeros(length)
    width = int(rng.integers(length // 5, length // 2))
    start = int(rng.integers(0, length - width))
    step = np.arange(width) / width
    if label == "sine_burst":
        out[start:start + width] = np.sin(2 * np.pi * rng.integers(2, 4) * step) * np.hanning(width)
    elif label == "square_pulse":
        out[start:start + width] = 1.0
    elif label == "ramp":
        out[start:start + width] = step
    else:  # spike: one or two steps
        out[start:start + int(rng.integers(1, 3))] = 1.0
    return out


def _splits(labels: list[str], rng) -> list[str]:
    """train / validation / test for each label's rows, in SPLIT_SHARES within each class."""
    splits = [""] * len(labels)
    for label in sorted(set(labels)):
        indices = rng.permutation([i for i, x in enumerate(labels) if x == label])
        cut = np.cumsum([round(share * len(indices)) for share in SPLIT_SHARES.values()])
        for part, chosen in zip(SPLIT_SHARES, np.split(indices, cut[:-1])):
            for i in chosen:
                splits[i] = part
    return splits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = write_series(args.folder, args.seed)
    print(f"wrote {paths['demand']} (hourly demand, daily and weekly cycles) and {paths['shapes']} (series shapes)")


if __name__ == "__main__":
    main()
