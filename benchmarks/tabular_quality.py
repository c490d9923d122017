"""Tabular quality on real tables nobody here wrote: `kpipe init` + `kpipe run` with no edit, vs baselines.

Each case writes a table that an installed package ships to a CSV, drafts its
spec with `kpipe init` (as a new user would) and runs it unchanged. It prints the
neural model's held-out metric next to the baselines the run fitted on the same
split (the training mean or majority class, a linear model, gradient-boosted
trees) and whether it lands within the goal: MAE within 10% of the better of
the linear and tree baselines' (regression), accuracy within 3 points of their
better one (classification). Results go to `benchmarks/tabular_quality.json`.

    python -m benchmarks.tabular_quality [--seeds 42 7] [--set key=value ...] [--only cars penguins]

Cases: scikit-learn's diabetes, breast_cancer and wine tables; vega_datasets'
cars (Auto MPG: missing values, a categorical origin, a date) and Seattle
weather; palmerpenguins (missing values, categorical island and sex). The last
three need `pip install -e ".[quality]"`.

Example:
    >>> sorted(CASES)[:3]
    ['breast_cancer', 'cars', 'diabetes']
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "tabular_quality.json"
REGRESSION_GOAL = 1.10
CLASSIFICATION_GOAL = 0.03


def _sklearn(name: str, target: str):
    def frame():
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        table = bunch.frame.rename(columns={"target": target})
        if hasattr(bunch, "target_names") and name != "diabetes":
            table[target] = [str(bunch.target_names[i]) for i in bunch.target]
        return table

    return frame


def _cars():
    from vega_datasets import local_data

    return local_data.cars()


def _weather():
    from vega_datasets import local_data

    return local_data.seattle_weather()


def _penguins():
    from palmerpenguins import load_penguins

    return load_penguins()


CASES = {
    "diabetes": (_sklearn("diabetes", "progression"), "progression"),
    "breast_cancer": (_sklearn("breast_cancer", "diagnosis"), "diagnosis"),
    "wine": (_sklearn("wine", "cultivar"), "cultivar"),
    "cars": (_cars, "Miles_per_Gallon"),
    "penguins": (_penguins, "species"),
    "weather": (_weather, "weather"),
}


def run_case(name: str, folder: Path, seed: int, overrides: list[str]) -> dict:
    """Draft with `kpipe init`'s logic, run as drafted (plus `overrides`), and score against the goal."""
    from pipelines.init import draft_spec
    from pipelines.runner import run

    load, target = CASES[name]
    path = folder / f"{name}.csv"
    load().to_csv(path, index=False)
    draft = draft_spec(path, target=target)
    spec_path = folder / f"{name}.yaml"
    spec_path.write_text(draft.text)
    started = time.perf_counter()
    result = run(spec_path, overrides=[f"seed={seed}", "tracking.log_model=false", "export.enabled=false",
                                       "training.verbose=0", *overrides])
    metrics = result.metrics
    row = {"case": name, "task": draft.task, "seed": seed, "seconds": round(time.perf_counter() - started, 1)}
    if draft.task == "tabular_regression":
        best = min(metrics["test_linear_baseline_mae"], metrics["test_tree_baseline_mae"])
        row.update(metric="mae", model=metrics["test_mae"], mean=metrics["test_mean_baseline_mae"],
                   linear=metrics["test_linear_baseline_mae"], tree=metrics["test_tree_baseline_mae"],
                   ratio=metrics["test_mae"] / best, within_goal=metrics["test_mae"] <= REGRESSION_GOAL * best)
    else:
        best = max(metrics["test_linear_baseline_accuracy"], metrics["test_tree_baseline_accuracy"])
        row.update(metric="accuracy", model=metrics["test_accuracy"], mean=metrics["test_majority_baseline_accuracy"],
                   linear=metrics["test_linear_baseline_accuracy"], tree=metrics["test_tree_baseline_accuracy"],
                   ratio=metrics["test_accuracy"] - best,
                   within_goal=metrics["test_accuracy"] >= best - CLASSIFICATION_GOAL)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), default=list(CASES))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        for name in args.only:
            for seed in args.seeds:
                row = run_case(name, Path(root), seed, args.set)
                rows.append(row)
                print(f"{name:14s} seed {seed:3d} {row['metric']:8s} model {row['model']:.4f}  trivial "
                      f"{row['mean']:.4f}  linear {row['linear']:.4f}  tree {row['tree']:.4f}  "
                      f"{'within goal' if row['within_goal'] else 'MISSED goal'}  ({row['seconds']} s)", flush=True)
    RESULTS.write_text(json.dumps({"overrides": args.set, "rows": rows}, indent=2) + "\n")
    missed = [f"{r['case']}/{r['seed']}" for r in rows if not r["within_goal"]]
    print(f"{len(rows) - len(missed)} of {len(rows)} within goal" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
