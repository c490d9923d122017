"""Forecast quality on real series nobody here wrote: the shipped demand spec with only its data changed.

Each case points `pipelines/specs/demand.yaml` at a series statsmodels ships
(offline), with the horizon and held-out spans that fit its length, and prints
the model's test MASE next to the last-value and seasonal-naive forecasts of
the very same windows (MASE below a baseline's beats it). Results go to
`benchmarks/forecast_quality.json`.

    python -m benchmarks.forecast_quality [--only co2 nile] [--set key=value ...]

Example:
    >>> sorted(CASES)[:2]
    ['co2', 'elnino']
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "forecast_quality.json"

CASES = {  # name: (horizon, held-out steps each for validation and test)
    "co2": (52, 104),
    "sunspots": (11, 33),
    "elnino": (12, 60),
    "macrodata": (4, 20),
    "nile": (5, 15),
}


def run_case(name: str, overrides: list[str]) -> dict:
    """The demand spec on statsmodels' `name`, horizon and spans from CASES; its MASE and the baselines'."""
    from pipelines.runner import run

    horizon, held_out = CASES[name]
    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "demand.yaml").read_text())
    spec["data"]["source"] = {"type": "statsmodels", "name": name}
    spec["data"]["split"] = {"validation_steps": held_out, "test_steps": held_out}
    spec["model"]["head"] = {"horizon": horizon}
    spec["training"]["verbose"] = 0
    spec["tracking"]["log_model"] = False
    spec["export"]["enabled"] = False
    started = time.perf_counter()
    metrics = run(spec, overrides=overrides).metrics
    baselines = {k.removeprefix("test_").removesuffix("_baseline_mase"): v for k, v in metrics.items()
                 if k.endswith("_baseline_mase")}
    best = min(baselines, key=baselines.get)
    return {"case": name, "horizon": horizon, "mase": metrics["test_mase"], "baselines": baselines,
            "best_baseline": best, "beats_best": metrics["test_mase"] < baselines[best],
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        for name in args.only:
            row = run_case(name, args.set)
            rows.append(row)
            others = "  ".join(f"{k} {v:.3f}" for k, v in row["baselines"].items())
            print(f"{name:10s} h={row['horizon']:3d}  MASE {row['mase']:.3f}  {others}  "
                  f"{'beats' if row['beats_best'] else 'DOES NOT beat'} {row['best_baseline']}  ({row['seconds']} s)",
                  flush=True)
    RESULTS.write_text(json.dumps({"overrides": args.set, "rows": rows}, indent=2) + "\n")
    print(f"{sum(r['beats_best'] for r in rows)} of {len(rows)} beat their best naive baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
