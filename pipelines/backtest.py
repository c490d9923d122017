"""Rolling-origin backtest: a time-series spec run once per fold, each a child of one parent MLflow run.

With `data.split.backtest: {folds: K}`, fold k (0 .. K-1) runs the spec with
`data.split.backtest.fold: k`: the task cuts the last K - 1 - k test spans off
every series first, so the folds' test spans follow each other and the last
fold sees all the data. Each fold is an ordinary run (metrics, plots, logged
spec); only the last one exports. The parent run gets every fold's held-out
metrics (`fold_<k>_<metric>`), their mean and standard deviation
(`backtest_<metric>_mean`, `_std`) and `backtest.csv`, one row per fold.

Example:
    >>> result = run("pipelines/specs/demand.yaml", overrides=["data.split.backtest={folds: 3}"])  # doctest: +SKIP
    >>> result.metrics["backtest_test_mase_mean"]                                                  # doctest: +SKIP
    0.81
"""

from __future__ import annotations

import sys

import numpy as np

from pipelines import tags as tag
from pipelines.spec_loading import with_choices


def fold_spec(spec, fold: int):
    """The spec of fold `fold`: its `backtest.fold` set, the export only on the last fold.

    Example:
        >>> fold_spec(spec, 0).data.split.backtest.fold   # doctest: +SKIP
        0
    """
    from models.tasks.base import Choice

    last = fold == spec.data.split.backtest.folds - 1
    choices = [Choice("data.split.backtest.fold", fold, "backtest fold")]
    if not last:
        choices.append(Choice("export.enabled", False, "only the last fold exports"))
    return with_choices(spec, choices)


def summarize(folds: list[dict[str, float]]) -> tuple[dict[str, float], str]:
    """Per-fold metrics -> parent metrics (each fold's, mean, std) and a CSV with one row per fold.

    Example:
        >>> metrics, table = summarize([{"test_mase": 1.0}, {"test_mase": 0.5}])
        >>> metrics["backtest_test_mase_mean"], metrics["backtest_test_mase_std"], table.splitlines()[1]
        (0.75, 0.25, '0,1')
    """
    names = sorted({name for metrics in folds for name in metrics if name.startswith("test_")})
    summary: dict[str, float] = {}
    for name in names:
        values = np.array([metrics[name] for metrics in folds if name in metrics], "float64")
        summary.update({f"backtest_{name}_mean": float(values.mean()), f"backtest_{name}_std": float(values.std())})
        summary.update({f"fold_{k}_{name}": float(m[name]) for k, m in enumerate(folds) if name in m})
    rows = [",".join(["fold", *names])]
    rows += [",".join([str(k), *(f"{m[n]:.6g}" if n in m else "" for n in names)]) for k, m in enumerate(folds)]
    return summary, "\n".join(rows) + "\n"


def backtest(spec, run_one, *, callbacks=(), profile: bool = False, timings=None, source=None):
    """Run every fold of `spec` under one parent run; returns the last fold's result with the backtest metrics.

    `run_one` is `pipelines.runner.run`. A fold that fails ends the parent run FAILED with its error.
    """
    from pipelines.tracking import Tracker
    from pipelines.tracking_uri import resolve_tracking_uri

    uri = resolve_tracking_uri(spec.tracking.tracking_uri) if spec.tracking.enabled else None
    tracker = Tracker(uri, spec.experiment, enabled=spec.tracking.enabled)
    folds = spec.data.split.backtest.folds
    parent_tags = {tag.SPEC_NAME: spec.name, tag.TASK: spec.task, **spec.tracking.tags}
    with tracker.running(f"{spec.name}-backtest", parent_tags, description=spec.description,
                         source=source) as parent:
        results = []
        for fold in range(folds):
            print(f"Backtest fold {fold + 1} of {folds}", file=sys.stderr)
            results.append(run_one(fold_spec(spec, fold), parent_run_id=parent, callbacks=callbacks,
                                   profile=profile and fold == folds - 1,
                                   timings=timings if fold == folds - 1 else None))
        summary, table = summarize([result.metrics for result in results])
        tracker.log_metrics(summary)
        tracker.log_text(table, "backtest.csv")
    last = results[-1]
    last.metrics = {**last.metrics, **{k: v for k, v in summary.items() if k.startswith("backtest_")}}
    last.verdicts = [*last.verdicts, _verdict(summary, folds)]
    return last


def _verdict(summary: dict[str, float], folds: int) -> str:
    """One summary line: the task metric's mean and spread over the folds."""
    means = {k.removeprefix("backtest_").removesuffix("_mean"): v for k, v in summary.items() if k.endswith("_mean")}
    name = next((n for n in ("test_mase", "test_accuracy", "test_loss") if n in means), next(iter(means), None))
    if name is None:
        return f"Backtest: {folds} folds"
    return (f"Backtest over {folds} folds: {name} {means[name]:.4g} on average, spread (std) "
            f"{summary[f'backtest_{name}_std']:.3g}")
